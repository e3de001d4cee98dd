"""What the automated pipeline does with content events: enqueue an assessment task.

Events arrive after the publishing transaction committed (``core.events``), so the
task always finds the content. Each event gets a request id that makes a
re-delivered task harmless.
"""

from __future__ import annotations

import uuid

from django.conf import settings

from core import events


def _enqueue(task, **kwargs) -> None:
    task.apply_async(
        kwargs={**kwargs, "request_id": uuid.uuid4().hex},
        queue=settings.MODERATION_ASSESS_QUEUE,
    )


def on_content_published(event: events.ContentPublished) -> None:
    from apps.moderation import pipeline, tasks
    from apps.moderation.models import Assessment

    if event.content_type in pipeline.ASSESSED_CONTENT_TYPES:
        _enqueue(
            tasks.content_assess_task,
            content_type=event.content_type,
            content_id=event.content_id,
            trigger=Assessment.Trigger.PUBLISHED.value,
        )


def on_content_updated(event: events.ContentUpdated) -> None:
    from apps.moderation import pipeline, tasks
    from apps.moderation.models import Assessment

    if event.content_type in pipeline.ASSESSED_CONTENT_TYPES:
        _enqueue(
            tasks.content_assess_task,
            content_type=event.content_type,
            content_id=event.content_id,
            trigger=Assessment.Trigger.UPDATED.value,
        )


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
