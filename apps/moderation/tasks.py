"""Celery tasks of automated moderation. Thin: each calls :mod:`apps.moderation.pipeline`.

Each is safe to run twice: the handler gives every event a request id, and a
second run finds the assessment the first one wrote.
"""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_process_init, worker_ready
from django.conf import settings
from django.db import DatabaseError

from apps.moderation import pipeline


@shared_task(
    name="moderation.assess",
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def content_assess_task(
    *, content_type: str, content_id: int, trigger: str, request_id: str = ""
) -> int | None:
    assessment = pipeline.content_assess(
        content_type=content_type, content_id=content_id, trigger=trigger, request_id=request_id
    )
    return assessment.pk if assessment else None


@shared_task(
    name="moderation.assess.drain",
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=None,
)
def content_assess_drain_task() -> int:
    """Assess what events left in the pending list, in batches (Redis only)."""
    return pipeline.pending_drain(batch_size=settings.MODERATION_BATCH_SIZE)


@shared_task(name="moderation.assess.sweep", ignore_result=True)
def content_assess_sweep_task() -> int:
    """Every minute (beat): take over a pending list whose drain task was lost."""
    return pipeline.pending_sweep(batch_size=settings.MODERATION_BATCH_SIZE)


@shared_task(
    name="moderation.media.assess",
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def media_assess_task(
    *, media_id: int, owner_id: int, hashes: list[str], request_id: str = ""
) -> int | None:
    assessment = pipeline.media_assess(
        media_id=media_id, owner_id=owner_id, hashes=tuple(hashes), request_id=request_id
    )
    return assessment.pk if assessment else None


@worker_ready.connect
@worker_process_init.connect
def _load_models(**_kwargs) -> None:
    """Load the classifier when a worker (or a prefork child) starts, not on its first post."""
    from apps.moderation.assessors import default_assessors

    for assessor in default_assessors():
        load = getattr(assessor, "load", None)
        if load is not None:
            load()
