"""A service out of reach while a WebSocket opens or runs is the socket's 503, never a 500.

bench/load.py found it: 200 clients opening the streaming API at once exhausted the
channel layer's Redis connection pool (redis-py's asyncio pool holds 100 connections and
raises ``MaxConnectionsError`` past them), the exception left the application, and uvicorn
answered half the handshakes with 500. Here the channel layer is the in-memory one with its
group changes failing as channels-redis's do when its pool is exhausted (the Redis boundary);
everything else is the real ASGI application.
"""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer
from channels.testing import ApplicationCommunicator, WebsocketCommunicator
from django.test import override_settings
from redis.exceptions import MaxConnectionsError

from config.asgi import application
from core.websocket import CLOSE_TRY_AGAIN_LATER
from tests.accounts.factories import AccessTokenFactory

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5


class ExhaustedChannelLayer(InMemoryChannelLayer):
    """The in-memory layer whose group changes fail with ``error`` once ``failing`` is set,
    as channels-redis's do when its connection pool is exhausted."""

    failing = True
    error: type[Exception] = MaxConnectionsError

    async def group_add(self, group, channel):
        if ExhaustedChannelLayer.failing:
            raise ExhaustedChannelLayer.error("Too many connections")
        return await super().group_add(group, channel)


@pytest.fixture
def exhausted_layer():
    ExhaustedChannelLayer.failing = True
    ExhaustedChannelLayer.error = MaxConnectionsError
    layers = {"default": {"BACKEND": f"{__name__}.ExhaustedChannelLayer"}}
    with override_settings(CHANNEL_LAYERS=layers):
        yield ExhaustedChannelLayer


def _scope(token: str, *, denial_responses: bool) -> dict:
    scope = {
        "type": "websocket",
        "path": "/api/v1/streaming",
        "raw_path": b"/api/v1/streaming",
        "query_string": f"access_token={token}&stream=user".encode(),
        "headers": [(b"host", b"localhost")],
        "subprotocols": [],
    }
    if denial_responses:
        scope["extensions"] = {"websocket.http.response": {}}
    return scope


def test_an_outage_during_the_handshake_answers_503_with_retry_after(exhausted_layer):
    # given a server that offers denial responses (uvicorn does) and an exhausted layer
    token = AccessTokenFactory(scope="read").token

    async def scenario():
        communicator = ApplicationCommunicator(application, _scope(token, denial_responses=True))
        # when a client opens the user stream
        await communicator.send_input({"type": "websocket.connect"})
        start = await communicator.receive_output(TIMEOUT)
        body = await communicator.receive_output(TIMEOUT)
        await communicator.wait(TIMEOUT)
        return start, body

    start, body = async_to_sync(scenario)()

    # then the handshake is refused with 503 and Retry-After, in Mastodon's error shape
    assert start["type"] == "websocket.http.response.start"
    assert start["status"] == 503
    assert dict(start["headers"])[b"retry-after"] == b"5"
    assert json.loads(body["body"]) == {
        "error": "The service is temporarily unavailable, try again shortly"
    }


def test_an_outage_during_the_handshake_closes_with_1013_without_denial_responses(
    exhausted_layer,
):
    # given a server that cannot answer a handshake with a response of its own
    token = AccessTokenFactory(scope="read").token

    async def scenario():
        communicator = WebsocketCommunicator(
            application, f"/api/v1/streaming?access_token={token}&stream=user"
        )
        return await communicator.connect(timeout=TIMEOUT)

    # when a client opens the user stream, then it is refused with 1013 (try again later)
    assert async_to_sync(scenario)() == (False, CLOSE_TRY_AGAIN_LATER)


def test_an_outage_on_an_open_socket_closes_it_with_1013(exhausted_layer):
    # given an open user stream
    exhausted_layer.failing = False
    token = AccessTokenFactory(scope="read").token

    async def scenario():
        communicator = WebsocketCommunicator(
            application, f"/api/v1/streaming?access_token={token}&stream=user"
        )
        connected, _detail = await communicator.connect(timeout=TIMEOUT)
        assert connected
        # when the layer's pool is exhausted as the client subscribes to another stream
        exhausted_layer.failing = True
        await communicator.send_json_to({"type": "subscribe", "stream": "public"})
        return await communicator.receive_output(TIMEOUT)

    # then the socket is closed with 1013, not torn down by an unhandled error
    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER}


def test_an_error_that_is_not_an_outage_is_not_hidden(exhausted_layer):
    # given a group change failing with a bug, not an outage
    exhausted_layer.error = ValueError
    token = AccessTokenFactory(scope="read").token

    async def scenario():
        communicator = WebsocketCommunicator(
            application, f"/api/v1/streaming?access_token={token}&stream=user"
        )
        await communicator.connect(timeout=TIMEOUT)

    # when a client opens the user stream, then the error reaches the server as before
    with pytest.raises(ValueError, match="Too many connections"):
        async_to_sync(scenario)()
