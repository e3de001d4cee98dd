"""Live's domain-event handlers. Thin: each calls a service.

Going live and ending (this app's own events, handled after commit and retried by the
outbox): the announcing status, and the viewers' side of the end.
"""

from __future__ import annotations

from core import events


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
    events.subscribe(events.LiveStarted, on_live_started_announce)
    events.subscribe(events.LiveEnded, on_live_ended_viewers)
