"""What the feed does when other apps publish events."""

from __future__ import annotations

from core import events


def on_content_actioned(event: events.ContentActioned) -> None:
    """Moderation decided on a status: remove it everywhere, or hide it from all but its author."""
    if event.content_type != "status":
        return
    from apps.feed import services

    state = {"remove": "removed", "hide": "hidden", "approve": "visible", "restore": "visible"}.get(
        event.action
    )
    if state is not None:
        services.status_moderate(status_id=event.content_id, state=state, reason=event.reason)
    elif event.action == "sensitive":
        services.status_mark_sensitive(status_id=event.content_id)


def connect() -> None:
    from apps.feed import streaming

    events.subscribe(events.ContentActioned, on_content_actioned)
    streaming.connect()

    from apps.feed import account_warnings
    from apps.feed.fanout import handlers as fanout_handlers

    fanout_handlers.connect()
    account_warnings.connect()

    from apps.feed import scheduling_tasks  # noqa: F401 (registers the Celery task)
