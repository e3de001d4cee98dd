"""Event handlers of the media app: thin, they enqueue tasks."""

from __future__ import annotations

from core import events


def on_content_deleted(event: events.ContentDeleted) -> None:
    """A deleted status takes its attachments with it."""
    if event.content_type != "status":
        return
    from apps.media.tasks import media_delete_for_status_task

    media_delete_for_status_task.delay(status_id=event.content_id)


def connect() -> None:
    events.subscribe(events.ContentDeleted, on_content_deleted)
