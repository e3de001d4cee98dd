"""Abuse: credentials that should have ended keep working.

A token used after its account's password changed, after the account was
disabled, or after it was revoked is refused with 401; a password change ends
the sessions of every other browser.
"""

import pytest
from django.test import Client

from apps.accounts import services
from tests.accounts.factories import (
    DEFAULT_PASSWORD,
    AccessTokenFactory,
    ApplicationFactory,
    UserFactory,
)
from tests.api_client import APIClient

VERIFY = "/api/v1/accounts/verify_credentials"
PASSWORD = "/api/agora/v1/account/password"
NEW_PASSWORD = "amber-kettle-lantern-42"
INVALID = {"error": "The access token is invalid"}


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def victim(db):
    return UserFactory()


@pytest.mark.django_db
def test_tokens_are_refused_after_a_password_change(victim):
    # Given: the account is signed in from two apps
    phone = bearer(AccessTokenFactory(user=victim).token)
    laptop = bearer(AccessTokenFactory(user=victim).token)
    assert laptop.get(VERIFY).status_code == 200

    # When: the phone changes the password
    changed = phone.post(
        PASSWORD,
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    # Then
    assert changed.status_code == 204
    for client in (phone, laptop):
        response = client.get(VERIFY)
        assert response.status_code == 401
        assert response.json() == INVALID


@pytest.mark.django_db
def test_a_wrong_current_password_changes_nothing(victim):
    # Given
    token = AccessTokenFactory(user=victim).token
    client = bearer(token)
    old_hash = victim.password

    # When
    response = client.post(
        PASSWORD,
        {"current_password": "guess", "new_password": NEW_PASSWORD},
        format="json",
    )

    # Then
    assert response.status_code == 422
    assert response.json()["details"]["current_password"][0]["error"] == "ERR_INVALID"
    victim.refresh_from_db()
    assert victim.password == old_hash
    assert client.get(VERIFY).status_code == 200


@pytest.mark.django_db
def test_password_change_needs_an_account_and_write_scope(victim):
    # Given
    read_only = bearer(AccessTokenFactory(user=victim, scope="read").token)
    app_only = bearer(AccessTokenFactory(user=None, scope="write").token)
    old_hash = victim.password
    body = {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}

    # When
    refused = [client.post(PASSWORD, body, format="json") for client in (read_only, app_only)]

    # Then: a scope it lacks is 403; an app token where an account is needed, 422
    assert [response.status_code for response in refused] == [403, 422]
    victim.refresh_from_db()
    assert victim.password == old_hash


@pytest.mark.django_db
def test_tokens_are_refused_after_the_account_is_disabled(victim):
    # Given
    client = bearer(AccessTokenFactory(user=victim).token)
    assert client.get(VERIFY).status_code == 200

    # When
    services.account_disable(account=victim, actor=None, reason="abuse")

    # Then
    response = client.get(VERIFY)
    assert response.status_code == 401
    assert response.json() == INVALID


@pytest.mark.django_db
def test_a_token_of_a_disabled_account_is_refused_even_if_it_survived(victim):
    # Given: an account switched off directly in the database, its token still stored
    client = bearer(AccessTokenFactory(user=victim).token)
    type(victim).objects.filter(pk=victim.pk).update(is_active=False)

    # When
    response = client.get(VERIFY)

    # Then: Mastodon's answer to a login that is not functional
    assert response.status_code == 403
    assert response.json() == {"error": "Your login is currently disabled"}


@pytest.mark.django_db
def test_a_revoked_token_is_refused(victim):
    # Given
    application = ApplicationFactory(client_secret="app-secret-for-revoke")
    token = AccessTokenFactory(user=victim, application=application).token
    client = bearer(token)
    assert client.get(VERIFY).status_code == 200

    # When
    revoked = APIClient().post(
        "/oauth/revoke",
        {
            "token": token,
            "client_id": application.client_id,
            "client_secret": "app-secret-for-revoke",
        },
    )

    # Then
    assert revoked.status_code == 200
    response = client.get(VERIFY)
    assert response.status_code == 401
    assert response.json() == INVALID


@pytest.mark.django_db
def test_tokens_revoked_by_the_service_are_refused(victim):
    # Given
    client = bearer(AccessTokenFactory(user=victim).token)

    # When
    services.account_revoke_tokens(account=victim)

    # Then
    assert client.get(VERIFY).status_code == 401


@pytest.mark.django_db
def test_password_change_ends_other_browsers_sessions_but_keeps_its_own(victim):
    # Given: the account is signed in from two browsers
    this_browser = Client()
    other_browser = Client()
    this_browser.force_login(victim)
    other_browser.force_login(victim)
    assert other_browser.get(VERIFY).status_code == 200

    # When: one browser changes the password
    changed = this_browser.post(
        PASSWORD,
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        content_type="application/json",
    )

    # Then
    assert changed.status_code == 204
    assert this_browser.get(VERIFY).status_code == 200
    response = other_browser.get(VERIFY)
    assert response.status_code == 401
    assert response.json() == INVALID
