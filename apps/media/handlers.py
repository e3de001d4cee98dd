"""Event handlers of the media app: thin, they enqueue tasks."""

from __future__ import annotations

from core import events


def on_content_deleted(event: events.ContentDeleted) -> None:
    """A deleted status takes its attachments with it."""
    if event.content_type != "status":
        return
    from apps.media.tasks import media_delete_for_status_task

    media_delete_for_status_task.delay(status_id=event.content_id)


def on_content_actioned(event: events.ContentActioned) -> None:
    """Moderation removed media that no status carries: delete it (see services.media_moderate)."""
    if event.content_type != "media" or event.action != "remove":
        return
    from apps.media.tasks import media_moderate_task

    media_moderate_task.delay(media_id=event.content_id, action=event.action)


def connect() -> None:
    events.subscribe(events.ContentDeleted, on_content_deleted)
    events.subscribe(events.ContentActioned, on_content_actioned)
