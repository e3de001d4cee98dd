"""The feed store's event handlers: thin, each enqueues a task of :mod:`apps.feed.tasks`.

Connected by :func:`apps.feed.handlers.connect` from ``AppConfig.ready``. Without
``REDIS_URL`` there is no store and they do nothing.
"""

from __future__ import annotations

from apps.feed.fanout.store import store_enabled
from apps.feed.models import Status
from core import events


def on_content_published(event: events.ContentPublished) -> None:
    """A status was published (after commit): enqueue its fan-out."""
    if event.content_type == "status" and store_enabled():
        from apps.feed import tasks

        tasks.feed_fanout_task.delay(status_id=event.content_id)


def on_content_deleted(event: events.ContentDeleted) -> None:
    """A status was deleted: enqueue its removal from the feeds it reached."""
    if event.content_type == "status" and store_enabled():
        from apps.feed import tasks

        tasks.feed_unpush_task.delay(status_id=event.content_id, author_id=event.author_id)


def on_content_actioned(event: events.ContentActioned) -> None:
    """Moderation removed a status (out of every feed) or restored one (pushed again)."""
    if event.content_type != "status" or not store_enabled():
        return
    from apps.feed import tasks

    if event.action == "remove":
        row = Status.objects.filter(pk=event.content_id).values("account_id", "reblog_of_id")
        found = row.first()
        if found is not None:
            tasks.feed_unpush_task.delay(
                status_id=event.content_id,
                author_id=found["account_id"],
                reblog_of_id=found["reblog_of_id"],
            )
    elif event.action in ("restore", "approve"):
        tasks.feed_fanout_task.delay(status_id=event.content_id)


def connect() -> None:
    events.subscribe(events.ContentPublished, on_content_published)
    events.subscribe(events.ContentDeleted, on_content_deleted)
    events.subscribe(events.ContentActioned, on_content_actioned)
