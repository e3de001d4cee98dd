"""Live's domain-event handlers. Thin: each calls a service.

Moderation's decisions on chat messages; going live and ending (this app's own events,
handled after commit and retried by the outbox): the announcing status, and the
viewers' side of the end.
"""

from __future__ import annotations

from core import events


def on_content_actioned(event: events.ContentActioned) -> None:
    """Moderation decided on a chat message (hide or remove deletes it for everyone), or on
    media that may be a stream's replay (hide keeps it from all but the streamer; remove
    is the media app's, which deletes it)."""
    from apps.live.services.chat import CONTENT_TYPE, chat_message_moderate
    from apps.live.services.replays import replay_moderate

    if event.content_type == CONTENT_TYPE:
        chat_message_moderate(message_id=event.content_id, action=event.action, reason=event.reason)
    elif event.content_type == "media":
        replay_moderate(media_id=event.content_id, action=event.action)


def on_account_blocked(event: events.AccountBlocked) -> None:
    """A streamer blocked an account: its open sockets on the streamer's chats close."""
    from apps.live.services.rooms import blocked_close

    blocked_close(channel_id=event.account_id, account_id=event.target_id)


def on_live_started_announce(event: events.LiveStarted) -> None:
    """Post the status that tells the streamer's followers (once per stream)."""
    from apps.live.services import going_live

    going_live.stream_announce(stream_id=event.stream_id)


def on_live_ended_viewers(event: events.LiveEnded) -> None:
    """Fold the last viewer counts, tell the room ``ended``, show ``ended`` on the status."""
    from apps.live.services import going_live, viewers

    viewers.viewer_stream_ended(stream_id=event.stream_id)
    going_live.stream_announcement_update(stream_id=event.stream_id)


def connect() -> None:
    """Subscribe live's handlers (``LiveConfig.ready``)."""
    events.subscribe(events.ContentActioned, on_content_actioned)
    events.subscribe(events.AccountBlocked, on_account_blocked)
    events.subscribe(events.LiveStarted, on_live_started_announce)
    events.subscribe(events.LiveEnded, on_live_ended_viewers)
