"""``/api/v1/streaming``: Mastodon's streaming API over a WebSocket.

A client authenticates with its access token (``TokenAuthMiddleware`` reads it from the
``access_token`` query parameter, the ``Sec-WebSocket-Protocol`` header or
``Authorization: Bearer``), names a first stream with ``?stream=`` (and ``&tag=``), and
subscribes or unsubscribes with messages such as ``{"type": "subscribe", "stream": "hashtag",
"tag": "cats"}``. Events arrive as Mastodon sends them::

    {"stream": ["user"], "event": "update", "payload": "<the Status entity as JSON>"}

The consumer only authenticates, validates and delivers; who hears what, and which entity
each viewer is shown, is :mod:`apps.feed.streaming`. The entity is rendered here, in the
interface layer, by the REST API's own serializers (:func:`status_event_payload`,
:func:`notification_event_payload`, which the Server-Sent Events view uses too), so a streamed
entity is the one ``GET`` answers and the streaming module below needs no interface import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from apps.feed import selectors, streaming
from apps.feed.api.conversations import conversation_event_payload
from apps.feed.api.filters import filter_results_rendered, stream_filter_context
from apps.feed.api.notifications import NotificationEntitySerializer
from apps.feed.api.serializers import StatusSerializer
from core.api.renderers import JSONRenderer
from core.ids import parse_id
from core.params import truthy
from core.permissions import scope_is_granted, token_scopes

CLOSE_UNAUTHORIZED = 4001
PUBLIC_STREAMS = {
    "public", "public:local", "public:media", "public:local:media", "hashtag", "hashtag:local",
}  # fmt: skip
PUBLIC_GROUPS = {
    "public": streaming.PUBLIC_GROUP,
    "public:local": streaming.PUBLIC_LOCAL_GROUP,
    "public:media": streaming.PUBLIC_MEDIA_GROUP,
    "public:local:media": streaming.PUBLIC_LOCAL_MEDIA_GROUP,
}
KNOWN_STREAMS = PUBLIC_STREAMS | {"user", "user:notification", "direct", "list"}


class StreamRefused(Exception):
    """A subscription Mastodon would refuse: ``message`` and ``status`` go back to the client."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Subscription:
    """One stream a connection listens to: its channel group and the ``stream`` array it shows."""

    group: str
    label: tuple[str, ...]


def token_grants(token, *required: str) -> bool:
    """Whether the access token carries one of the ``required`` scopes (or a broader one)."""
    granted = token_scopes(token)
    return any(scope_is_granted(granted, scope) for scope in required)


def resolve_stream(
    *, name, tag, account_id: int, token, only_media=None, list_id=None
) -> Subscription:
    """The subscription for stream ``name`` (and ``tag``), as Mastodon's streaming server checks it.

    ``public`` and ``public:local`` with a true ``only_media`` are ``public:media`` and
    ``public:local:media``, as Mastodon maps them.

    Raises StreamRefused: an unknown stream (400), a hashtag stream without a tag (400), or a
    token without the scope the stream needs (401): ``read`` or ``read:statuses`` for ``user``,
    ``read`` or ``read:notifications`` for ``user:notification``, ``read`` or ``read:statuses``
    for ``direct``; public streams need none.
    ``list`` needs ``list_id`` (400 without) and ``read`` or ``read:statuses``; whether the
    account owns the list is :func:`list_access`'s question (it reads the database).
    """
    if not isinstance(name, str) or name not in KNOWN_STREAMS:
        raise StreamRefused("Unknown stream type", 400)
    if name in ("public", "public:local") and truthy(only_media):
        name = f"{name}:media"
    if name == "user" and not token_grants(token, "read", "read:statuses"):
        raise StreamRefused("Access token does not have the required scopes", 401)
    if name == "user:notification" and not token_grants(token, "read", "read:notifications"):
        raise StreamRefused("Access token does not have the required scopes", 401)
    if name == "direct" and not token_grants(token, "read", "read:statuses"):
        raise StreamRefused("Access token does not have the required scopes", 401)
    if name == "direct":
        return Subscription(streaming.direct_group(account_id), ("direct",))
    if name == "list":
        if not isinstance(list_id, (str, int)) or not str(list_id).strip():
            raise StreamRefused("Missing list name parameter", 400)
        if not token_grants(token, "read", "read:statuses"):
            raise StreamRefused("Access token does not have the required scopes", 401)
        label = str(list_id).strip()
        return Subscription(streaming.list_group(parse_id(label) or 0), ("list", label))
    if name == "user":
        return Subscription(streaming.user_group(account_id), ("user",))
    if name == "user:notification":
        return Subscription(streaming.notification_group(account_id), ("user:notification",))
    if name in PUBLIC_GROUPS:
        return Subscription(PUBLIC_GROUPS[name], (name,))
    if not isinstance(tag, str) or not tag.strip():
        raise StreamRefused("No tag for stream provided", 400)
    return Subscription(streaming.hashtag_group(tag, local=name == "hashtag:local"), (name, tag))


def list_access(*, subscription: Subscription, account_id: int) -> None:
    """Refuse someone else's (or an unknown) list as Mastodon's streaming server does (401
    "List not found"); other streams pass. Reads the database: call it off the event loop."""
    if subscription.label[0] == "list" and not streaming.list_stream_allowed(
        account_id=account_id, list_id=subscription.label[1]
    ):
        raise StreamRefused("List not found", 401)


def _render(data: Any) -> str:
    return JSONRenderer().render(data).decode()


def _is_filtered_out(*, viewer, status, state, context: str | None) -> bool:
    """Apply the viewer's filters to a streamed status: True when one hides it in
    ``context``; otherwise its FilterResults go into ``state`` (``filtered``)."""
    applied = selectors.filters_apply(viewer=viewer, statuses=[status], context=context)
    if not applied.statuses:
        return True
    state.filtered = filter_results_rendered(applied.results)
    return False


def status_event_payload(*, viewer, status_id: int, stream: str = "user") -> str | None:
    """The Status entity ``viewer`` sees on ``stream``, as a JSON string; None if they may
    not see it (:func:`apps.feed.streaming.status_for_viewer` decides) or a filter of theirs
    hides it there (the stream's context: :func:`stream_filter_context`)."""
    found = streaming.status_for_viewer(viewer=viewer, status_id=status_id)
    if found is None:
        return None
    status, state = found
    if _is_filtered_out(
        viewer=viewer, status=status, state=state, context=stream_filter_context(stream)
    ):
        return None
    return _render(StatusSerializer(status, context={"viewer_state": state}).data)


def notification_event_payload(*, viewer, notification_id: int) -> str | None:
    """The Notification entity for ``viewer`` as a JSON string, or None
    (:func:`apps.feed.streaming.notification_for_viewer` decides, or a ``hide`` filter of
    the ``notifications`` context matches its status)."""
    found = streaming.notification_for_viewer(viewer=viewer, notification_id=notification_id)
    if found is None:
        return None
    notification, state = found
    if notification.status_id is not None and _is_filtered_out(
        viewer=viewer,
        status=notification.status,
        state=state,
        context=stream_filter_context("", notification=True),
    ):
        return None
    context = {"viewer_state": state}
    return _render(NotificationEntitySerializer(notification, context=context).data)


class StreamingConsumer(AsyncWebsocketConsumer):
    """One client's streaming connection, multiplexing any number of streams."""

    async def connect(self) -> None:
        """Refuse (close 4001) without a valid token; subscribe ``?stream=`` before accepting.

        The first stream is joined before the handshake completes, so nothing published after
        the client sees the connection open is missed. A refused first stream is reported as
        an error message once the connection is open, as Mastodon does.
        """
        self.user = self.scope.get("user")
        self.token = self.scope.get("token")
        self.subscriptions: dict[str, Subscription] = {}
        if self.token is None or self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        self.reads_notifications = token_grants(self.token, "read", "read:notifications")

        query = parse_qs(self.scope.get("query_string", b"").decode())
        refusal = None
        if query.get("stream"):
            tag = (query.get("tag") or [None])[0]
            only_media = (query.get("only_media") or [None])[0]
            list_id = (query.get("list") or [None])[0]
            try:
                await self._subscribe(query["stream"][0], tag, only_media, list_id)
            except StreamRefused as error:
                refusal = error

        # Closed as soon as the account is suspended or disabled (streaming.on_account_restricted).
        await self.channel_layer.group_add(
            streaming.sessions_group(self.user.pk), self.channel_name
        )
        subprotocols = self.scope.get("subprotocols") or []
        echoed = self.token.token if self.token.token in subprotocols else None
        await self.accept(subprotocol=echoed)
        if refusal is not None:
            await self._send_error(refusal.message, refusal.status)

    async def disconnect(self, code) -> None:
        for group in list(getattr(self, "subscriptions", {})):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.subscriptions = {}
        user = getattr(self, "user", None)
        if user is not None and user.is_authenticated:
            await self.channel_layer.group_discard(
                streaming.sessions_group(user.pk), self.channel_name
            )

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """Handle ``subscribe`` and ``unsubscribe``; anything else gets an error message back."""
        try:
            message = json.loads(text_data if text_data is not None else bytes_data)
        except (TypeError, ValueError):
            await self._send_error("Invalid JSON message", 400)
            return
        if not isinstance(message, dict) or message.get("type") not in ("subscribe", "unsubscribe"):
            await self._send_error("Unknown message type", 400)
            return
        try:
            stream, tag, only_media, list_id = (
                message.get(key) for key in ("stream", "tag", "only_media", "list")
            )
            if message["type"] == "subscribe":
                await self._subscribe(stream, tag, only_media, list_id)
            else:
                await self._unsubscribe(stream, tag, only_media, list_id)
        except StreamRefused as error:
            await self._send_error(error.message, error.status)

    async def _subscribe(self, name, tag, only_media=None, list_id=None) -> None:
        subscription = resolve_stream(
            name=name, tag=tag, account_id=self.user.pk, token=self.token,
            only_media=only_media, list_id=list_id,
        )  # fmt: skip
        if subscription.group in self.subscriptions:
            return
        await database_sync_to_async(list_access)(
            subscription=subscription, account_id=self.user.pk
        )
        self.subscriptions[subscription.group] = subscription
        await self.channel_layer.group_add(subscription.group, self.channel_name)

    async def _unsubscribe(self, name, tag, only_media=None, list_id=None) -> None:
        subscription = resolve_stream(
            name=name, tag=tag, account_id=self.user.pk, token=self.token,
            only_media=only_media, list_id=list_id,
        )  # fmt: skip
        if self.subscriptions.pop(subscription.group, None) is not None:
            await self.channel_layer.group_discard(subscription.group, self.channel_name)

    async def _send_error(self, message: str, status: int) -> None:
        await self.send(text_data=json.dumps({"error": message, "status": status}))

    async def _send_event(self, subscription: Subscription, event: str, payload: str) -> None:
        body = {"stream": list(subscription.label), "event": event, "payload": payload}
        await self.send(text_data=json.dumps(body))

    # Channel-layer messages from apps.feed.streaming -------------------------

    async def stream_status(self, message) -> None:
        """``update`` or ``status.update``: the status as this viewer sees it, if they may."""
        subscription = self.subscriptions.get(message["group"])
        if subscription is None:
            return
        payload = await database_sync_to_async(status_event_payload)(
            viewer=self.user, status_id=message["status_id"], stream=subscription.label[0]
        )
        if payload is not None:
            await self._send_event(subscription, message["event"], payload)

    async def stream_close(self, message) -> None:
        """The account was suspended or disabled: its token no longer holds the stream open."""
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def stream_delete(self, message) -> None:
        subscription = self.subscriptions.get(message["group"])
        if subscription is not None:
            await self._send_event(subscription, "delete", str(message["status_id"]))

    async def stream_notification(self, message) -> None:
        """A notification; on the ``user`` stream only for tokens that may read notifications."""
        subscription = self.subscriptions.get(message["group"])
        if subscription is None or not self.reads_notifications:
            return
        payload = await database_sync_to_async(notification_event_payload)(
            viewer=self.user, notification_id=message["notification_id"]
        )
        if payload is not None:
            await self._send_event(subscription, "notification", payload)

    async def stream_notifications_merged(self, message) -> None:
        """Accepted notification requests were merged into the list (Mastodon's event)."""
        subscription = self.subscriptions.get(message["group"])
        if subscription is not None and self.reads_notifications:
            await self._send_event(subscription, "notifications_merged", "1")

    async def stream_conversation(self, message) -> None:
        """``conversation`` on the ``direct`` stream: the Conversation as this viewer sees it."""
        subscription = self.subscriptions.get(message["group"])
        if subscription is None:
            return
        payload = await database_sync_to_async(conversation_event_payload)(
            viewer=self.user, account_conversation_id=message["account_conversation_id"]
        )
        if payload is not None:
            await self._send_event(subscription, "conversation", payload)
