"""The HTTP side of Mastodon's streaming API: its health check and Server-Sent Events.

``GET /api/v1/streaming/<stream>`` (``user``, ``user/notification``, ``public``,
``public/local``, ``hashtag?tag=``, ``hashtag/local?tag=``, ``direct``, ``list?list=``) answers
``text/event-stream``: each event as Mastodon's streaming server writes it
(``event: update`` then ``data: <the Status entity>``), and a ``:thump`` comment
every :data:`HEARTBEAT_SECONDS` so proxies keep the connection open. The token comes
from ``Authorization: Bearer`` or the ``access_token`` query parameter. Who hears
what is the WebSocket's rule (:mod:`apps.feed.consumers`, :mod:`apps.feed.streaming`):
the same channel groups, the same per-viewer payloads.
"""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe

from apps.feed import streaming
from apps.feed.api.conversations import conversation_event_payload
from apps.feed.consumers import (
    StreamRefused,
    list_access,
    notification_event_payload,
    resolve_stream,
    status_event_payload,
    token_grants,
)
from core.websocket import token_user

HEARTBEAT_SECONDS = 15.0
# URL path -> stream name, as Mastodon's streaming server maps them.
SSE_STREAMS = {
    "user": "user",
    "user/notification": "user:notification",
    "public": "public",
    "public/local": "public:local",
    "hashtag": "hashtag",
    "hashtag/local": "hashtag:local",
    "direct": "direct",
    "list": "list",
}


@require_safe
def streaming_health(request) -> HttpResponse:
    """``GET /api/v1/streaming/health``: ``OK`` in plain text, as Mastodon's streaming server answers."""
    return HttpResponse("OK", content_type="text/plain; charset=utf-8")


def _raw_token(request) -> str:
    authorization = request.headers.get("Authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return request.GET.get("access_token", "")


@require_safe
async def streaming_events(request, stream: str):
    """One stream as Server-Sent Events, until the client goes away."""
    name = SSE_STREAMS.get(stream)
    if name is None:
        return JsonResponse({"error": "Unknown stream type"}, status=400)
    raw_token = _raw_token(request)
    if not raw_token:
        return JsonResponse({"error": "Missing access token"}, status=401)
    user, token = await database_sync_to_async(token_user)(raw_token)
    if token is None:
        return JsonResponse({"error": "Invalid access token"}, status=401)
    try:
        subscription = resolve_stream(
            name=name,
            tag=request.GET.get("tag"),
            account_id=user.pk,
            token=token,
            only_media=request.GET.get("only_media"),
            list_id=request.GET.get("list"),
        )
        await database_sync_to_async(list_access)(subscription=subscription, account_id=user.pk)
    except StreamRefused as error:
        return JsonResponse({"error": error.message}, status=error.status)

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(subscription.group, channel)
    # Ended as soon as the account is suspended or disabled (streaming.on_account_restricted).
    sessions = streaming.sessions_group(user.pk)
    await layer.group_add(sessions, channel)
    reads_notifications = token_grants(token, "read", "read:notifications")

    async def render(message) -> tuple[str, str] | None:
        kind = message.get("type")
        if kind == "stream.status":
            payload = await database_sync_to_async(status_event_payload)(
                viewer=user, status_id=message["status_id"], stream=subscription.label[0]
            )
            return None if payload is None else (message["event"], payload)
        if kind == "stream.conversation":
            payload = await database_sync_to_async(conversation_event_payload)(
                viewer=user, account_conversation_id=message["account_conversation_id"]
            )
            return None if payload is None else ("conversation", payload)
        if kind == "stream.delete":
            return "delete", str(message["status_id"])
        if kind == "stream.notification" and reads_notifications:
            payload = await database_sync_to_async(notification_event_payload)(
                viewer=user, notification_id=message["notification_id"]
            )
            return None if payload is None else ("notification", payload)
        return None

    async def events():
        try:
            yield ":)\n\n"
            while True:
                try:
                    message = await asyncio.wait_for(layer.receive(channel), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ":thump\n\n"
                    continue
                if message.get("type") == "stream.close":
                    return
                rendered = await render(message)
                if rendered is not None:
                    event, payload = rendered
                    yield f"event: {event}\ndata: {payload}\n\n"
        finally:
            await layer.group_discard(subscription.group, channel)
            await layer.group_discard(sessions, channel)

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    # nginx would otherwise buffer the stream.
    response["X-Accel-Buffering"] = "no"
    return response
