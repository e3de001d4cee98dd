"""Mastodon's streaming API as Server-Sent Events: ``GET /api/v1/streaming/<stream>``.

The same streams and per-viewer rules as the WebSocket (test_streaming.py); here the
transport: the event-stream framing, authentication by header or query parameter, and
refusals as JSON errors before any stream starts.
"""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient

from apps.feed.api import streaming as sse
from tests.accounts.factories import AccessTokenFactory
from tests.feed.test_streaming import posted_with_image

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5


async def next_event(stream) -> tuple[str, str]:
    """The next ``event:``/``data:`` pair, skipping comments (``:)``, ``:thump``)."""
    while True:
        chunk = await asyncio.wait_for(anext(stream), TIMEOUT)
        chunk = chunk.decode() if isinstance(chunk, bytes) else chunk
        if chunk.startswith(":"):
            continue
        lines = dict(line.split(": ", 1) for line in chunk.strip().split("\n"))
        return lines["event"], lines["data"]


async def open_sse(path: str, **headers):
    response = await AsyncClient().get(path, headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    return response, aiter(response.streaming_content)


def test_user_stream_sends_updates_and_notifications_as_events(alice, bob):
    async def scenario():
        await sync_to_async(alice.follow)(bob)
        response, stream = await open_sse(
            "/api/v1/streaming/user", Authorization=f"Bearer {alice.token}"
        )
        first = await asyncio.wait_for(anext(stream), TIMEOUT)
        assert first.decode().startswith(":")

        post = await sync_to_async(bob.post)("hello over SSE")
        event, data = await next_event(stream)
        assert event == "update"
        status = json.loads(data)
        assert status["id"] == post["id"]
        assert "hello over SSE" in status["content"]
        assert status["account"]["id"] == bob.id
        # absolute URLs on the instance's one base URL (core.base_url)
        assert status["account"]["avatar"].startswith("http://localhost:8000/")

        mine = await sync_to_async(alice.post)("alice writes")
        assert json.loads((await next_event(stream))[1])["id"] == mine["id"]
        await sync_to_async(bob.client.post)(f"/api/v1/statuses/{mine['id']}/favourite")
        event, data = await next_event(stream)
        assert event == "notification"
        notification = json.loads(data)
        assert notification["type"] == "favourite"
        assert notification["account"]["id"] == bob.id
        assert notification["status"]["id"] == mine["id"]
        await response.streaming_content.aclose()

    async_to_sync(scenario)()


def test_public_stream_by_query_token_and_delete_events(alice, bob):
    async def scenario():
        response, stream = await open_sse(f"/api/v1/streaming/public?access_token={alice.token}")
        post = await sync_to_async(bob.post)("public words")
        assert (await next_event(stream))[0] == "update"
        await sync_to_async(bob.client.delete)(f"/api/v1/statuses/{post['id']}")
        assert await next_event(stream) == ("delete", post["id"])
        await response.streaming_content.aclose()

    async_to_sync(scenario)()


def test_public_stream_with_only_media_sends_only_statuses_with_media(alice, bob):
    async def scenario():
        response, stream = await open_sse(
            "/api/v1/streaming/public/local?only_media=true", Authorization=f"Bearer {alice.token}"
        )
        await sync_to_async(bob.post)("no picture here")
        picture = await sync_to_async(posted_with_image)(bob)

        event, data = await next_event(stream)
        assert (event, json.loads(data)["id"]) == ("update", picture["id"])
        await response.streaming_content.aclose()

    async_to_sync(scenario)()


def test_heartbeat_comment_keeps_the_connection_open(alice, monkeypatch):
    monkeypatch.setattr(sse, "HEARTBEAT_SECONDS", 0.05)

    async def scenario():
        response, stream = await open_sse(
            "/api/v1/streaming/public/local", Authorization=f"Bearer {alice.token}"
        )
        assert (await asyncio.wait_for(anext(stream), TIMEOUT)).decode() == ":)\n\n"
        assert (await asyncio.wait_for(anext(stream), TIMEOUT)).decode() == ":thump\n\n"
        await response.streaming_content.aclose()

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    ("path", "headers", "status", "error"),
    [
        ("/api/v1/streaming/user", {}, 401, "Missing access token"),
        ("/api/v1/streaming/user?access_token=nope", {}, 401, "Invalid access token"),
        ("/api/v1/streaming/hashtag", None, 400, "No tag for stream provided"),
        ("/api/v1/streaming/hashtag?tag=%20", None, 400, "No tag for stream provided"),
        ("/api/v1/streaming/list", None, 400, "Missing list name parameter"),
        ("/api/v1/streaming/list?list=1", None, 401, "List not found"),
    ],
)
def test_refusals_are_json_errors(alice, path, headers, status, error):
    headers = {"Authorization": f"Bearer {alice.token}"} if headers is None else headers

    async def scenario():
        response = await AsyncClient().get(path, headers=headers)
        assert response.status_code == status
        if error is not None:
            assert response.json() == {"error": error}

    async_to_sync(scenario)()


def test_user_stream_needs_a_read_scope(alice):
    token = AccessTokenFactory(user=alice.account, scope="write").token

    async def scenario():
        response = await AsyncClient().get(
            "/api/v1/streaming/user", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401
        assert response.json() == {"error": "Access token does not have the required scopes"}

    async_to_sync(scenario)()


def test_only_get_and_head(alice):
    async def scenario():
        response = await AsyncClient().post(
            "/api/v1/streaming/public", headers={"Authorization": f"Bearer {alice.token}"}
        )
        assert response.status_code == 405

    async_to_sync(scenario)()
