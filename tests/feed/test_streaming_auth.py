"""Streaming: authentication, scopes, refused streams and bad messages, and the health check."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from tests.accounts.factories import AccessTokenFactory
from tests.feed.test_streaming import (
    UNKNOWN_STREAM,
    next_event,
    open_stream,
    refused_with,
    run,
    settle,
)

pytestmark = pytest.mark.django_db(transaction=True)

SCOPE_ERROR = {"error": "Access token does not have the required scopes", "status": 401}


@pytest.mark.parametrize(
    "token", [None, "not-a-token", "expired"], ids=["missing", "unknown", "expired"]
)
def test_a_connection_without_a_valid_token_is_refused_with_4001(alice, token):
    # given no token, an unknown one, or one that expired
    if token == "expired":
        token = AccessTokenFactory(
            user=alice.account, scope="read", expires=timezone.now() - timedelta(minutes=1)
        ).token

    async def scenario():
        # when it connects from the site itself, then the handshake is refused with 4001
        same_site = [(b"origin", b"http://localhost")]
        assert await refused_with(token, "stream=public", headers=same_site) == 4001

    run(scenario)


def test_a_disabled_accounts_token_is_refused(alice, token_for):
    # given alice's token, and then her account disabled
    token = token_for(alice.account, scope="read")
    alice.account.is_active = False
    alice.account.save(update_fields=["is_active"])

    async def scenario():
        # when she connects, then she is refused
        assert await refused_with(token, "stream=user") == 4001

    run(scenario)


def test_the_token_may_come_as_the_websocket_protocol(alice, bob, token_for):
    # given bob follows alice and offers his token as the Sec-WebSocket-Protocol (browsers' way)
    bob.follow(alice)
    token = token_for(bob.account, scope="read")

    async def scenario():
        stream = await open_stream(None, "stream=user", subprotocols=[token])

        # when alice posts
        posted = await sync_to_async(alice.post)("hi")

        # then the server accepted that protocol and streams to bob
        assert (await next_event(stream))["payload"]["id"] == posted["id"]
        await stream.disconnect()

    run(scenario)


def test_the_accepted_protocol_is_the_offered_token(bob, token_for):
    # given a token offered as the WebSocket protocol
    token = token_for(bob.account, scope="read")

    async def scenario():
        # when the client connects
        from channels.testing import WebsocketCommunicator

        from config.asgi import application

        communicator = WebsocketCommunicator(
            application, "/api/v1/streaming?stream=public", subprotocols=[token]
        )
        connected, subprotocol = await communicator.connect()

        # then the handshake echoes it, as browsers require
        assert (connected, subprotocol) == (True, token)
        await communicator.disconnect()

    run(scenario)


def test_the_token_may_come_as_a_bearer_header_on_a_trailing_slash_path(alice, bob, token_for):
    # given bob follows alice and connects to /api/v1/streaming/ with an Authorization header
    bob.follow(alice)
    token = token_for(bob.account, scope="read")

    async def scenario():
        stream = await open_stream(
            None,
            "stream=user",
            path="/api/v1/streaming/",
            headers=[(b"authorization", f"Bearer {token}".encode())],
        )

        # when alice posts
        posted = await sync_to_async(alice.post)("hi")

        # then bob receives it
        assert (await next_event(stream))["payload"]["id"] == posted["id"]
        await stream.disconnect()

    run(scenario)


def test_a_connection_without_a_token_from_a_foreign_origin_is_refused(alice):
    async def scenario():
        # when a page on another site opens a stream without a token, then it is refused
        foreign = [(b"origin", b"https://evil.example")]
        await refused_with(None, "stream=public", headers=foreign)

    run(scenario)


def test_a_token_may_connect_from_a_foreign_web_origin(alice, token_for):
    # given a web client served from another site, presenting a token
    token = token_for(alice.account, scope="read")

    async def scenario():
        # when it connects, then it is accepted (the token, not a cookie, authenticates it)
        stream = await open_stream(
            token, "stream=public", headers=[(b"origin", b"https://elk.example")]
        )
        await settle(stream)
        await stream.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("stream=firehose", UNKNOWN_STREAM),
        ("stream=list&list=1", {"error": "List not found", "status": 401}),
        ("stream=hashtag", {"error": "No tag for stream provided", "status": 400}),
    ],
    ids=["unknown", "someone-elses-list", "hashtag-without-tag"],
)
def test_a_refused_first_stream_is_an_error_message(alice, bob, token_for, query, error):
    # given bob follows alice, and connects naming a stream the server refuses
    bob.follow(alice)
    token = token_for(bob.account, scope="read")

    async def scenario():
        stream = await open_stream(token, query)

        # then the connection stays open with an error message first, subscribed to nothing
        assert await stream.receive_json_from() == error
        await sync_to_async(alice.post)("#anything goes")
        await settle(stream)
        await stream.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"type": "subscribe", "stream": "nope"}, UNKNOWN_STREAM),
        ({"type": "subscribe"}, UNKNOWN_STREAM),
        ({"type": "unsubscribe", "stream": "nope"}, UNKNOWN_STREAM),
        (
            {"type": "subscribe", "stream": "hashtag:local", "tag": "  "},
            {"error": "No tag for stream provided", "status": 400},
        ),
        ({"type": "shout", "stream": "user"}, {"error": "Unknown message type", "status": 400}),
        (["subscribe", "user"], {"error": "Unknown message type", "status": 400}),
    ],
    ids=[
        "unknown-stream",
        "no-stream",
        "unsubscribe-unknown",
        "blank-tag",
        "unknown-type",
        "not-an-object",
    ],
)
def test_a_bad_message_gets_an_error_and_changes_nothing(alice, bob, token_for, message, error):
    # given bob follows alice and listens to his user stream
    bob.follow(alice)
    token = token_for(bob.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=user")

        # when he sends a bad message
        await stream.send_json_to(message)

        # then he gets an error, and his user stream still works as before
        assert await stream.receive_json_from() == error
        posted = await sync_to_async(alice.post)("still here")
        event = await next_event(stream)
        assert (event["stream"], event["payload"]["id"]) == (["user"], posted["id"])
        await stream.disconnect()

    run(scenario)


def test_a_message_that_is_not_json_gets_an_error(bob, token_for):
    # given an open stream
    token = token_for(bob.account, scope="read")

    async def scenario():
        stream = await open_stream(token)

        # when the client sends text that is not JSON
        await stream.send_to(text_data="subscribe user")

        # then it gets an error and the connection stays usable
        assert await stream.receive_json_from() == {"error": "Invalid JSON message", "status": 400}
        await settle(stream)
        await stream.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("scope", "stream_name"),
    [("write", "user"), ("read:notifications", "user"), ("read:statuses", "user:notification")],
    ids=["write-only-user", "notifications-only-user", "statuses-only-notifications"],
)
def test_a_stream_outside_the_tokens_scopes_is_refused(alice, token_for, scope, stream_name):
    # given a token without the scope the stream needs
    token = token_for(alice.account, scope=scope)

    async def scenario():
        stream = await open_stream(token)

        # when it subscribes
        await stream.send_json_to({"type": "subscribe", "stream": stream_name})

        # then it is refused, and nothing is streamed to it
        assert await stream.receive_json_from() == SCOPE_ERROR
        await sync_to_async(alice.post)("my own status")
        await settle(stream)
        await stream.disconnect()

    run(scenario)


def test_public_streams_need_no_read_scope(alice, bob, token_for):
    # given a token that may only write
    token = token_for(bob.account, scope="write")

    async def scenario():
        stream = await open_stream(token, "stream=public")

        # when alice posts publicly
        posted = await sync_to_async(alice.post)("for everyone")

        # then the public stream delivers it, as Mastodon's does
        assert (await next_event(stream))["payload"]["id"] == posted["id"]
        await stream.disconnect()

    run(scenario)


def test_the_streaming_health_check_answers_ok(api_client):
    # when a client or load balancer checks the streaming API's health
    response = api_client.get("/api/v1/streaming/health")

    # then it answers OK in plain text
    assert response.status_code == 200
    assert response.content == b"OK"
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_the_streaming_health_check_refuses_writes(api_client):
    # when something posts to it, then it is refused
    response = api_client.post("/api/v1/streaming/health")

    assert response.status_code == 405
