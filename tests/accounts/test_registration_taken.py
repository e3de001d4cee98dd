"""A taken username or e-mail address at sign-up answers Mastodon's 422 naming the field.

Never a database constraint's name, whether validation sees the duplicate or a
concurrent sign-up takes the name between the check and the insert.
"""

from __future__ import annotations

import pytest

from apps.accounts import selectors
from apps.accounts.models import User
from tests.accounts.factories import UserFactory
from tests.accounts.test_registration import sign_up

pytestmark = pytest.mark.django_db

TAKEN = [{"error": "ERR_TAKEN", "description": "has already been taken"}]


@pytest.fixture
def app_client(db):

    from tests.accounts.factories import AccessTokenFactory, ApplicationFactory
    from tests.api_client import APIClient

    application = ApplicationFactory(scopes="read write follow")
    token = AccessTokenFactory(user=None, application=application, scope="read write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    return client


def _assert_taken(response, field: str) -> None:
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["details"] == {field: TAKEN}
    assert body["error"] == f"Validation failed: {field} has already been taken"
    assert "constraint" not in response.content.decode().lower()
    assert "accounts_user" not in response.content.decode()


@pytest.mark.parametrize(
    ("existing", "sent", "field"),
    [
        ({"username": "newcomer"}, {"username": "newcomer"}, "username"),
        ({"username": "newcomer"}, {"username": "NewComer"}, "username"),
        ({"email": "newcomer@example.org"}, {"email": "newcomer@example.org"}, "email"),
        ({"email": "newcomer@example.org"}, {"email": "NewComer@Example.org"}, "email"),
    ],
    ids=["same-username", "username-in-other-case", "same-email", "email-in-other-case"],
)
def test_a_duplicate_seen_by_validation_is_422_naming_the_field(app_client, existing, sent, field):
    UserFactory(**{"username": "someone", "email": "someone@example.org", **existing})

    response = sign_up(app_client, **sent)

    _assert_taken(response, field)
    assert User.objects.count() == 1


def _racing(monkeypatch, check: str, **competitor) -> None:
    """Another sign-up inserts ``competitor`` between the check ``check`` and the insert."""
    real = getattr(selectors, check)
    raced = []

    def check_then_lose_the_race(**kwargs):
        taken = real(**kwargs)
        if not raced:
            raced.append(UserFactory(**competitor))
        return taken

    monkeypatch.setattr(selectors, check, check_then_lose_the_race)


@pytest.mark.parametrize(
    ("check", "competitor", "field"),
    [
        ("email_is_taken", {"username": "NEWCOMER", "email": "other@example.org"}, "username"),
        ("email_is_taken", {"username": "other", "email": "newcomer@example.org"}, "email"),
    ],
    ids=["username-case-only", "email"],
)
def test_a_duplicate_racing_past_validation_is_422_naming_the_field(
    app_client, monkeypatch, check, competitor, field
):
    _racing(monkeypatch, check, **competitor)

    response = sign_up(app_client)

    _assert_taken(response, field)
    # Nothing was written: the stand-in competitor, inserted inside the refused sign-up's
    # transaction (a real one commits its own), went with it.
    assert User.objects.count() == 0
