"""``GET /api/v1/preferences``: the posting defaults an account's apps start from."""

import pytest

from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient

PREFERENCES = "/api/v1/preferences"


def client_for(user, scope: str) -> APIClient:
    client = APIClient()
    token = AccessTokenFactory(user=user, scope=scope).token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.django_db
def test_preferences_follow_what_the_account_set_in_update_credentials():
    # given ada posts privately, sensitive, in German by default
    ada = UserFactory(username="ada")
    writer = client_for(ada, "read write")
    changed = writer.patch(
        "/api/v1/accounts/update_credentials",
        {"source": {"privacy": "private", "sensitive": True, "language": "de"}},
        format="json",
    )
    assert changed.status_code == 200, changed.content

    # when an app reads her preferences
    response = client_for(ada, "read:accounts").get(PREFERENCES)

    # then it gets those defaults, and Mastodon's for the reading settings
    assert response.status_code == 200
    assert response.json() == {
        "posting:default:visibility": "private",
        "posting:default:sensitive": True,
        "posting:default:language": "de",
        "posting:default:quote_policy": "public",
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
        "reading:autoplay:gifs": False,
    }


@pytest.mark.django_db
def test_no_default_language_is_null():
    response = client_for(UserFactory(), "read").get(PREFERENCES)

    assert response.json()["posting:default:language"] is None


@pytest.mark.django_db
def test_preferences_need_an_account_and_read_accounts():
    user = UserFactory()

    assert APIClient().get(PREFERENCES).status_code == 401
    assert client_for(user, "read:statuses").get(PREFERENCES).status_code == 403
    assert client_for(None, "read").get(PREFERENCES).status_code == 422
