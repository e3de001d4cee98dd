"""The one test that signs up and signs in with the production password hasher.

Every other test hashes with MD5 (tests/conftest.py) for speed; this one keeps the
settings' own list, so a sign-up stores an Argon2 hash and the password grant checks it.
"""

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client

from apps.accounts.models import User
from config.settings import security
from tests.accounts.factories import AccessTokenFactory, ApplicationFactory
from tests.api_client import APIClient

PASSWORD = "violet-otter-harbour-91"
SECRET = "app-secret-for-tests"  # noqa: S105


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = security.PASSWORD_HASHERS


@pytest.mark.django_db
def test_sign_up_stores_argon2_and_the_password_grant_checks_it(production_hashers):
    application = ApplicationFactory(client_secret=SECRET, scopes="read write")
    client = APIClient()
    token = AccessTokenFactory(user=None, application=application, scope="read write")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")

    signed_up = client.post(
        "/api/v1/accounts",
        {"username": "hashed", "email": "hashed@example.org", "password": PASSWORD,
         "agreement": True, "locale": "en"},
        format="json",
    )  # fmt: skip
    assert signed_up.status_code == 200, signed_up.json()
    account = User.objects.get(username="hashed")
    assert identify_hasher(account.password).algorithm == "argon2"

    granted = Client().post(
        "/oauth/token",
        {"grant_type": "password", "username": "hashed", "password": PASSWORD,
         "client_id": application.client_id, "client_secret": SECRET,
         "scope": "read"},
    )  # fmt: skip
    assert granted.status_code == 200, granted.content
