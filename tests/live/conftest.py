"""Live's fixtures: the callback secret, streamers, and nginx-rtmp's callbacks as it posts them."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.accounts.factories import UserFactory
from tests.api_client import APIClient

SECRET = "live-callback-unit-tests"
PLAYBACK_SECRET = "live-playback-unit-tests"
STREAMS = "/api/agora/v1/live/streams"
# What nginx-rtmp sends as ``call`` on each callback.
CALLS = {
    "on_publish": "publish",
    "on_publish_done": "publish_done",
    "on_update": "update_publish",
    "on_record_done": "record_done",
}


@pytest.fixture(autouse=True)
def _callback_secret(settings):
    settings.LIVE_CALLBACK_SECRET = SECRET
    settings.LIVE_RTMP_URL = "rtmp://ingest.agora.test/live"
    settings.LIVE_HLS_BASE_URL = "https://agora.test/live/hls"
    settings.LIVE_PLAYBACK_SECRET = PLAYBACK_SECRET


@pytest.fixture
def client_for(token_for):
    """``client_for(user)``: an API client signed in as ``user``."""

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        return client

    return make


@pytest.fixture
def streamer(db):
    """An account an operator allowed to go live (no plan)."""
    from apps.live.services import live_allow

    account = UserFactory()
    live_allow(account=account, actor="tests")
    return account


@pytest.fixture
def create_stream(client_for):
    """``create_stream(user, **body)`` -> the answer's JSON (with the key), via the API."""

    def create(user, **body):
        body.setdefault("title", "Speedrun night")
        response = client_for(user).post(STREAMS, body, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    return create


@pytest.fixture
def nginx():
    """``nginx(callback, name, secret=SECRET)``: nginx-rtmp's form POST to one callback."""
    client = Client()

    def post(callback: str, name: str, *, secret: str | None = SECRET, **extra: str):
        query = "" if secret is None else f"?secret={secret}"
        return client.post(
            f"/internal/live/{callback}{query}",
            {
                **extra,
                "call": CALLS[callback],
                "app": "live",
                "name": name,
                "addr": "127.0.0.1",
                "clientid": "7",
                "tcurl": "rtmp://ingest.agora.test/live",
            },
        )

    return post
