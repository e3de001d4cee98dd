"""``/ws/live/<stream_id>/chat/``: a stream's chat over a WebSocket.

Authenticated as Mastodon's streaming API is (``TokenAuthMiddleware``: the access token in
``access_token``, ``Sec-WebSocket-Protocol`` or ``Authorization: Bearer``). Reading needs
``read:statuses`` (``read`` covers it) or no token at all, for a stream anybody may see;
writing needs ``write:statuses`` (``write`` covers it). A stream the viewer may not see
(followers', subscribers', a blocker's, unknown) closes the socket with 4004; a token that is
invalid or lacks ``read`` closes it with 4001. Both are sent on an accepted socket: a server
answers a socket closed before it was accepted with HTTP 403, which a browser reports as
1006 and a client cannot tell from a network failure (it would retry forever).

Chat presence counts the socket as a viewer (:mod:`apps.live.services.viewers`): a signed-in
socket as its account, an anonymous one as the ``viewer_id`` in its query string when it sends
one (the id its player's heartbeats send, so one viewer counts once; an invalid one closes the
socket with 4000), else as a fresh id of its own. ``presence=off`` in the query string counts
nothing: the watch page's socket sends it for a signed-in session, whose heartbeats already
count the account.

On joining the client gets ``{"event": "history", "payload": {"messages": [...],
"chat_settings": {...}}}`` (the latest 50 visible messages, oldest first), then every room
event (:mod:`apps.live.services.rooms`) as ``{"event": ..., "payload": ...}``. It sends::

    {"type": "message", "text": "hi", "reply_to_id": "<id>"?, "nonce": "<its own id>"?}
    {"type": "delete", "id": "<message id>", "reason": "..."?}
    {"type": "timeout", "account_id": "<id>", "seconds": 600, "reason": "..."?}
    {"type": "ban", "account_id": "<id>", "reason": "..."?}
    {"type": "unban", "account_id": "<id>"}
    {"type": "mode", "chat_settings": {"slow_mode_seconds": 30, ...}}

A stored message is acknowledged with ``{"event": "ack", "payload": {"id", "nonce"}}``; any
refusal comes back as ``{"event": "error", "payload": {"error": "...", "code": "..."}}`` and
the socket stays open. The consumer only authenticates, validates the frame's shape and
delivers; the rules are :mod:`apps.live.services.chat`'s.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from redis.exceptions import RedisError

from apps.feed.streaming import sessions_group
from apps.live.services import chat, viewers
from apps.live.services.rooms import room_group, viewer_group
from core import errors
from core.ids import parse_id
from core.permissions import scope_is_granted, token_scopes
from core.websocket import _raw_token

logger = logging.getLogger(__name__)

CLOSE_BAD_REQUEST = 4000
CLOSE_UNAUTHORIZED = 4001
CLOSE_NOT_FOUND = 4004
FRAME_MAX_BYTES = 8192
NONCE_MAX_LENGTH = 64
READ, WRITE = "read:statuses", "write:statuses"
COMMANDS = ("message", "delete", "timeout", "ban", "unban", "mode")


class Refused(Exception):
    """A frame the consumer refuses before any service runs: ``message`` and ``code``."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _granted(token, scope: str) -> bool:
    """Whether the access token holds ``scope`` or a broader one (``read`` for ``read:statuses``)."""
    return scope_is_granted(token_scopes(token), scope)


def _id(value: Any, field: str) -> int:
    parsed = parse_id(value)
    if parsed is None:
        raise Refused(f"{field} is not an id", "invalid_id")
    return parsed


def _reason(message: dict[str, Any]) -> str:
    reason = message.get("reason", "")
    if not isinstance(reason, str):
        raise Refused("reason must be a string", "invalid_reason")
    return reason


def _presence_key(scope: dict[str, Any], viewer: Any) -> str | None:
    """The viewer key this socket's presence counts under, or None for ``presence=off``.

    Raises :class:`core.errors.Invalid` for a ``viewer_id`` that is not a valid player id.
    """
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    if query.get("presence", [""])[-1] == "off":
        return None
    if viewer is not None:
        return viewers.viewer_key_for(viewer=viewer, anonymous_id=None)
    given = query.get("viewer_id")
    return viewers.viewer_key_for(
        viewer=None, anonymous_id=given[-1] if given else uuid.uuid4().hex
    )


class ChatConsumer(AsyncWebsocketConsumer):
    """One viewer's chat socket on one stream."""

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.token = self.scope.get("token")
        self.stream_id = self.scope["url_route"]["kwargs"]["stream_id"]
        self.group: str | None = None
        if _raw_token(self.scope) and self.token is None:
            await self._refuse(CLOSE_UNAUTHORIZED)
            return
        if self.token is not None and not _granted(self.token, READ):
            await self._refuse(CLOSE_UNAUTHORIZED)
            return
        try:
            self.viewer_key = _presence_key(
                self.scope, self.user if self.token is not None else None
            )
        except errors.Invalid:
            await self._refuse(CLOSE_BAD_REQUEST)
            return
        viewer = self.user if self.token is not None else None
        try:
            self.stream = await database_sync_to_async(chat.chat_stream_for_reader)(
                viewer=viewer, stream_id=self.stream_id
            )
        except errors.NotFound:
            await self._refuse(CLOSE_NOT_FOUND)
            return
        # Joined before the history is read, so no message falls between the two (a message
        # in both arrives twice; clients keep one per id).
        self.group = room_group(self.stream.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        if self.token is not None:
            # Closed as soon as the account is suspended or disabled (the feed's sessions).
            await self.channel_layer.group_add(sessions_group(self.user.pk), self.channel_name)
            # Closed when the streamer blocks the account (rooms.blocked_close).
            await self.channel_layer.group_add(viewer_group(self.user.pk), self.channel_name)
        # Chat presence counts as watching: now, and again as the room's viewer counts arrive.
        self.presence_at = 0.0
        await self._presence()
        subprotocols = self.scope.get("subprotocols") or []
        echoed = (
            self.token.token
            if self.token is not None and self.token.token in subprotocols
            else None
        )
        await self.accept(subprotocol=echoed)
        history = await database_sync_to_async(chat.chat_history)(stream=self.stream)
        await self._send_event("history", history)

    async def _refuse(self, code: int) -> None:
        """Accept, then close with ``code``, so the client learns why (see the module's doc).

        The token offered as the subprotocol is echoed, as on joining: a browser fails a
        handshake that answers none of the subprotocols it offered.
        """
        raw = _raw_token(self.scope)
        offered = raw if raw and raw in (self.scope.get("subprotocols") or []) else None
        await self.accept(subprotocol=offered)
        await self.close(code=code)

    async def disconnect(self, code) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if getattr(self, "token", None) is not None:
            await self.channel_layer.group_discard(sessions_group(self.user.pk), self.channel_name)
            await self.channel_layer.group_discard(viewer_group(self.user.pk), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        try:
            message = self._parse(text_data, bytes_data)
            await getattr(self, f"_command_{message['type']}")(message)
        except Refused as refusal:
            await self._send_error(refusal.message, refusal.code)
        except errors.PlatformError as error:
            await self._send_error(error.message, error.code)

    def _parse(self, text_data, bytes_data) -> dict[str, Any]:
        """The frame as a command the account may send, or :class:`Refused`."""
        if text_data is None:
            raise Refused("Send JSON in text frames", "binary_frame")
        if len(text_data.encode()) > FRAME_MAX_BYTES:
            raise Refused(f"The frame is larger than {FRAME_MAX_BYTES} bytes", "frame_too_large")
        try:
            message = json.loads(text_data)
        except ValueError:
            raise Refused("Malformed JSON", "malformed_json") from None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise Refused('A frame is a JSON object with a "type"', "missing_type")
        if message["type"] not in COMMANDS:
            raise Refused(f"Unknown message type: {message['type'][:32]}", "unknown_type")
        if self.token is None:
            raise Refused("Sign in to chat", "unauthorized")
        if not _granted(self.token, WRITE):
            raise Refused("Access token does not have the write scope", "insufficient_scope")
        return message

    # Commands -----------------------------------------------------------------------

    async def _command_message(self, message: dict[str, Any]) -> None:
        nonce = message.get("nonce")
        if nonce is not None and (not isinstance(nonce, str) or len(nonce) > NONCE_MAX_LENGTH):
            raise Refused(f"nonce must be a string of at most {NONCE_MAX_LENGTH}", "invalid_nonce")
        reply_to = message.get("reply_to_id")
        reply_to_id = None if reply_to is None else _id(reply_to, "reply_to_id")
        if "text" not in message:
            raise Refused("The message has no text", "empty")
        stored = await database_sync_to_async(chat.chat_message_post)(
            author=self.user,
            stream_id=self.stream.pk,
            text=message["text"],
            reply_to_id=reply_to_id,
        )
        await self._send_event("ack", {"id": str(stored.pk), "nonce": nonce})

    async def _command_delete(self, message: dict[str, Any]) -> None:
        await database_sync_to_async(chat.chat_message_delete)(
            actor=self.user,
            stream=self.stream,
            message_id=_id(message.get("id"), "id"),
            reason=_reason(message),
        )

    async def _command_timeout(self, message: dict[str, Any]) -> None:
        await database_sync_to_async(chat.chat_timeout)(
            actor=self.user,
            stream=self.stream,
            account_id=_id(message.get("account_id"), "account_id"),
            seconds=message.get("seconds"),
            reason=_reason(message),
        )

    async def _command_ban(self, message: dict[str, Any]) -> None:
        await database_sync_to_async(chat.chat_ban)(
            actor=self.user,
            channel_id=self.stream.account_id,
            account_id=_id(message.get("account_id"), "account_id"),
            reason=_reason(message),
        )

    async def _command_unban(self, message: dict[str, Any]) -> None:
        await database_sync_to_async(chat.chat_unban)(
            actor=self.user,
            channel_id=self.stream.account_id,
            account_id=_id(message.get("account_id"), "account_id"),
        )

    async def _command_mode(self, message: dict[str, Any]) -> None:
        await database_sync_to_async(chat.chat_mode)(
            actor=self.user, stream=self.stream, changes=message.get("chat_settings")
        )

    async def _send_event(self, event: str, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"event": event, "payload": payload}))

    async def _send_error(self, message: str, code: str) -> None:
        await self._send_event("error", {"error": message, "code": code})

    # Channel-layer messages ------------------------------------------------------------

    async def room_event(self, message: dict[str, Any]) -> None:
        """Any event of the stream's room (chat, viewer counts, the end): forwarded as is.

        The periodic ``viewer_count`` also renews this socket's presence, at most every
        third of the time a viewer counts as watching.
        """
        if message["event"] == "viewer_count":
            await self._presence()
        await self._send_event(message["event"], message.get("payload") or {})

    async def _presence(self) -> None:
        if self.viewer_key is None:
            return
        now = time.monotonic()
        if now - self.presence_at < settings.LIVE_VIEWER_TTL_SECONDS / 3:
            return
        self.presence_at = now
        try:
            await sync_to_async(viewers.viewer_seen)(self.stream.pk, self.viewer_key)
        except (RedisError, OSError):
            # Presence is a count, not the chat: a slow or unreachable Redis skips it.
            logger.warning("live chat presence not recorded", exc_info=True)

    async def chat_blocked(self, message: dict[str, Any]) -> None:
        """The streamer of this socket's stream blocked the account: the stream is now
        invisible to it, as to a socket opened after the block (4004)."""
        if message.get("channel_id") == self.stream.account_id:
            await self.close(code=CLOSE_NOT_FOUND)

    async def stream_close(self, message: dict[str, Any]) -> None:
        """The account was suspended or disabled: its token no longer holds the socket open."""
        await self.close(code=CLOSE_UNAUTHORIZED)
