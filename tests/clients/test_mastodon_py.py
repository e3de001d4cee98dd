"""The real Mastodon client library (Mastodon.py) against a live Agora server.

Mastodon.py reads the OAuth endpoints from ``/.well-known/oauth-authorization-server``,
so the instance's domain is the live server's, and ``allow_http=True`` lets it sign
in over the live server's plain HTTP (Mastodon.py's own flag for testing).
"""

from urllib.parse import urlsplit

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonIllegalArgumentError, MastodonUnauthorizedError
from oauth2_provider.models import get_access_token_model

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

SCOPES = ["read", "write", "follow", "push"]


@pytest.fixture(autouse=True)
def _domain_is_the_live_servers(live_server, settings):
    settings.AGORA_DOMAIN = urlsplit(live_server.url).netloc


@pytest.fixture
def token_responses():
    """A requests session that remembers every /oauth/token answer (to read the refresh token)."""
    session = requests.Session()
    seen = []

    def remember(response, *args, **kwargs):
        if response.request.path_url.startswith("/oauth/token") and response.ok:
            seen.append(response.json())

    session.hooks["response"].append(remember)
    session.token_responses = seen
    return session


def test_register_log_in_refresh_and_verify_credentials(
    live_server, transactional_db, token_responses
):
    user = UserFactory(username="ada", email="ada@example.com")

    client_id, client_secret = Mastodon.create_app(
        "Agora client test", scopes=SCOPES, api_base_url=live_server.url
    )
    api = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=live_server.url,
        version_check_mode="created",
        session=token_responses,
    )
    first_token = api.log_in(user.email, DEFAULT_PASSWORD, scopes=SCOPES, allow_http=True)

    assert api.account_verify_credentials()["username"] == "ada"
    refresh_token = token_responses.token_responses[-1]["refresh_token"]

    second_token = api.log_in(refresh_token=refresh_token, scopes=SCOPES, allow_http=True)

    assert second_token != first_token
    me = api.account_verify_credentials()
    assert me["id"] == str(user.pk)
    assert me["acct"] == "ada"
    assert api.app_verify_credentials()["name"] == "Agora client test"
    tokens = get_access_token_model().objects.filter(user=user)
    assert [token.token for token in tokens] == [second_token]

    stale = Mastodon(access_token=first_token, api_base_url=live_server.url)
    with pytest.raises(MastodonUnauthorizedError):
        stale.account_verify_credentials()


def test_wrong_password_is_refused(live_server, transactional_db):
    user = UserFactory()
    client_id, client_secret = Mastodon.create_app(
        "Agora client test", scopes=SCOPES, api_base_url=live_server.url
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=live_server.url)

    with pytest.raises(MastodonIllegalArgumentError, match="invalid_grant"):
        api.log_in(user.email, "not the password", scopes=SCOPES, allow_http=True)

    assert not get_access_token_model().objects.exists()
