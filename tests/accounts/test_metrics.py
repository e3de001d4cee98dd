"""Failed sign-ins and the lockouts they lead to, counted at /metrics."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from tests.accounts.factories import DEFAULT_PASSWORD, ApplicationFactory
from tests.metrics_scrape import sample, scrape

SECRET = "app-secret-for-metrics"  # noqa: S105


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def password_grant(app, user, password: str):
    return Client().post(
        "/oauth/token",
        {
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": SECRET,
            "username": user.email,
            "password": password,
            "scope": "read",
        },
    )


@pytest.fixture
def app(db):
    return ApplicationFactory(client_secret=SECRET, scopes="read write")


def test_a_wrong_password_counts_one_failure_and_a_right_one_none(app, user):
    before = counter("agora_authentication_failures_total", method="password")

    assert password_grant(app, user, "wrong").status_code == 400
    assert password_grant(app, user, DEFAULT_PASSWORD).status_code == 200

    samples = scrape()
    assert sample(samples, "agora_authentication_failures_total", method="password") == before + 1


def test_the_failure_that_locks_an_account_out_counts_a_lockout(app, user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    before = counter("accounts_lockouts_total")

    password_grant(app, user, "wrong")
    assert counter("accounts_lockouts_total") == before
    password_grant(app, user, "wrong")

    assert sample(scrape(), "accounts_lockouts_total") == before + 1
