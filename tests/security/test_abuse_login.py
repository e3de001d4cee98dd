"""Password guessing is cut off after AXES_FAILURE_LIMIT attempts on every login.

No proxy is trusted by default (AGORA_TRUSTED_PROXIES), so rotating the
X-Forwarded-For header does not give an attacker fresh attempts
(tests/security/test_trusted_proxies.py covers configured proxies).
"""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from oauth2_provider.models import get_access_token_model

from tests.accounts.factories import DEFAULT_PASSWORD, ApplicationFactory, UserFactory

LOCKED_OUT = {"error": "Too many failed login attempts. Try again later."}
SECRET = "app-secret"  # noqa: S105


@pytest.fixture
def victim(db):
    return UserFactory()


def forged(n):
    return {"HTTP_X_FORWARDED_FOR": f"203.0.113.{n}", "REMOTE_ADDR": "198.51.100.7"}


def test_password_grant_guessing_is_cut_off_despite_rotating_forwarded_for(victim):
    app = ApplicationFactory(client_secret=SECRET)
    web = Client()

    def attempt(n, password):
        return web.post(
            "/oauth/token",
            {
                "grant_type": "password",
                "client_id": app.client_id,
                "client_secret": SECRET,
                "username": victim.email,
                "password": password,
                "scope": "read",
            },
            **forged(n),
        )

    answers = [attempt(n, f"guess-{n}").status_code for n in range(settings.AXES_FAILURE_LIMIT)]

    assert answers[:-1] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert answers[-1] == 429
    locked = attempt(99, DEFAULT_PASSWORD)
    assert locked.status_code == 429
    assert locked.json() == LOCKED_OUT
    assert not get_access_token_model().objects.exists()
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_login_page_guessing_is_cut_off_despite_rotating_forwarded_for(victim):
    web = Client()

    def attempt(n, password):
        return web.post(
            "/auth/login/", {"username": victim.email, "password": password}, **forged(n)
        )

    answers = [attempt(n, f"guess-{n}").status_code for n in range(settings.AXES_FAILURE_LIMIT)]

    assert answers[:-1] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert answers[-1] == 429
    locked = attempt(99, DEFAULT_PASSWORD)
    assert locked.status_code == 429
    assert locked.json() == LOCKED_OUT
    assert "_auth_user_id" not in web.session


def test_admin_login_is_protected_too(db):
    staff = UserFactory(is_staff=True)
    web = Client()

    for n in range(settings.AXES_FAILURE_LIMIT):
        web.post(
            "/admin/login/",
            {"username": staff.username, "password": f"guess-{n}", "otp_token": "123456"},
            **forged(n),
        )
    response = web.post(
        "/admin/login/", {"username": staff.username, "password": DEFAULT_PASSWORD}, **forged(0)
    )

    assert response.status_code == 429
    assert response.json() == LOCKED_OUT


def test_wrong_two_factor_codes_count_as_failed_logins(victim):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=victim, name="phone", confirmed=True)
    web = Client()
    web.post("/auth/login/", {"username": victim.email, "password": DEFAULT_PASSWORD})

    answers = [
        web.post("/auth/login/code/", {"code": f"{n:06d}"}).status_code
        for n in range(settings.AXES_FAILURE_LIMIT + 1)
    ]

    assert answers[-1] == 429
    assert "_auth_user_id" not in web.session


def test_totp_api_password_guessing_is_cut_off(victim, token_for):
    from tests.api_client import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(victim)}")

    answers = [
        client.post(
            "/api/agora/v1/account/totp", {"password": f"guess-{n}"}, format="json"
        ).status_code
        for n in range(settings.AXES_FAILURE_LIMIT + 1)
    ]

    assert answers[0] == 403
    assert answers[-1] == 429
