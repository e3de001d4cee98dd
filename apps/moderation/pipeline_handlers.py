"""What the automated pipeline does with content events: enqueue an assessment.

Events arrive after the publishing transaction committed (``core.events``), so the
task always finds the content. Each event gets a request id that makes a
re-delivered task harmless. With Redis (``REDIS_URL``) and ``MODERATION_BATCH_SIZE``
above one, events go to a pending list that one draining task assesses in
batches; otherwise each event is its own task. The tasks go to the ``moderation``
queue (``CELERY_TASK_ROUTES``).
"""

from __future__ import annotations

import uuid

from core import events


def _enqueue(task, **kwargs) -> None:
    task.apply_async(kwargs={**kwargs, "request_id": uuid.uuid4().hex})


def _assess_later(*, content_type: str, content_id: int, trigger: str) -> None:
    """One task per event, or (with Redis) the pending list that a draining task batches."""
    from apps.moderation import pipeline, tasks

    if content_type not in pipeline.ASSESSED_CONTENT_TYPES:
        return
    if pipeline.batching_is_enabled():
        request = pipeline.Request(content_type, content_id, trigger, uuid.uuid4().hex)
        if pipeline.pending_add(request):
            tasks.content_assess_drain_task.apply_async()
        return
    _enqueue(
        tasks.content_assess_task,
        content_type=content_type,
        content_id=content_id,
        trigger=trigger,
    )


def on_content_published(event: events.ContentPublished) -> None:
    _assess_later(content_type=event.content_type, content_id=event.content_id, trigger="published")


def on_content_updated(event: events.ContentUpdated) -> None:
    _assess_later(content_type=event.content_type, content_id=event.content_id, trigger="updated")


def on_media_processed(event: events.MediaProcessed) -> None:
    """Keep the media's hashes for the statuses that attach it, and match the media itself."""
    from apps.moderation import pipeline, tasks

    hashes = tuple(event.perceptual_hashes)
    if not hashes:
        return
    pipeline.media_hashes_remember(media_id=event.media_id, hashes=hashes)
    _enqueue(
        tasks.media_assess_task,
        media_id=event.media_id,
        owner_id=event.owner_id,
        hashes=list(hashes),
    )


def connect() -> None:
    events.subscribe(events.ContentPublished, on_content_published)
    events.subscribe(events.ContentUpdated, on_content_updated)
    events.subscribe(events.MediaProcessed, on_media_processed)
