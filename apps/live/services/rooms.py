"""A stream's room: the channel-layer group its chat sockets listen on, and how to speak in it.

Chat, viewer counts and stream state all reach a stream's viewers through one group,
``live-<stream id>``. Every event is sent to the group as::

    {"type": "room.event", "event": "<name>", "payload": {...}}

and a chat socket forwards it to its client as ``{"event": "<name>", "payload": {...}}``.
Events are ``message``, ``delete``, ``timeout``, ``ban``, ``viewer_count``, ``mode`` and
``ended``. They are sent after the transaction that caused them commits, so a viewer never
hears of a message that was rolled back.
"""

from __future__ import annotations

from typing import Any

from core.realtime import broadcast, broadcast_on_commit


def room_group(stream_id: int) -> str:
    """The channel-layer group of stream ``stream_id``'s viewers."""
    return f"live-{stream_id}"


def viewer_group(account_id: int) -> str:
    """The channel-layer group of every chat socket account ``account_id`` holds open."""
    return f"live-viewer.{account_id}"


def blocked_close(*, channel_id: int, account_id: int) -> None:
    """``channel_id``'s streamer blocked ``account_id``: its sockets on the channel's chats close
    (each socket checks whether its stream is the channel's)."""
    broadcast(viewer_group(account_id), {"type": "chat.blocked", "channel_id": channel_id})


def room_message(event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message that carries ``event`` to a room's sockets."""
    return {"type": "room.event", "event": event, "payload": payload}


def room_send(stream_id: int, event: str, payload: dict[str, Any]) -> None:
    """Tell stream ``stream_id``'s viewers ``event`` once the current transaction commits."""
    broadcast_on_commit(room_group(stream_id), room_message(event, payload))


def room_send_now(stream_id: int, event: str, payload: dict[str, Any]) -> None:
    """Tell stream ``stream_id``'s viewers ``event`` now (outside any transaction)."""
    broadcast(room_group(stream_id), room_message(event, payload))
