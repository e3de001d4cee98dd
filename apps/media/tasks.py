"""Celery tasks of the media app. Thin: each calls one service and owns its retries."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from apps.media import services, uploads
from apps.media.validation import MediaRejected
from core.jobs import JobError, tracked_task

BACKOFF_SECONDS = 15
BACKOFF_MAX_SECONDS = 15 * 60


def media_process_lost(task, *, reason: str, media_id: int, **kwargs: object) -> None:
    """The reaper gave up on a processing job whose worker vanished: the media failed."""
    services.media_mark_failed(media_id=media_id, reason=reason)


@tracked_task(
    name="media.process",
    max_retries=None,
    job_lost=media_process_lost,
    time_limit=settings.MEDIA_PROCESS_TIME_LIMIT,
)
def media_process_task(self, *, job_id: int, media_id: int) -> dict:
    """Process one attachment; retried with exponential backoff, then failed with a reason."""
    try:
        return services.media_process(media_id=media_id, progress=self.report_progress)
    except MediaRejected as exc:
        services.media_mark_failed(media_id=media_id, reason=str(exc))
        raise JobError(str(exc)) from None
    except services.ProcessingFailed as exc:
        reason = str(exc)
        retries = self.request.retries or 0
        if retries < settings.MEDIA_PROCESS_MAX_RETRIES:
            countdown = min(BACKOFF_MAX_SECONDS, BACKOFF_SECONDS * 2**retries)
            raise self.retry(exc=JobError(reason), countdown=countdown) from None
        services.media_mark_failed(media_id=media_id, reason=reason)
        raise JobError(reason) from None


@shared_task(name="media.remove_unattached", ignore_result=True)
def media_remove_unattached_task() -> int:
    """Periodic: delete media no status attached within MEDIA_UNATTACHED_MAX_HOURS."""
    return services.media_remove_unattached()


@shared_task(name="media.uploads.expire", ignore_result=True)
def uploads_expire_task() -> int:
    """Periodic: expire unfinished resumable uploads and delete their parts."""
    return uploads.uploads_expire()


@shared_task(name="media.delete_for_status", ignore_result=True)
def media_delete_for_status_task(*, status_id: int) -> int:
    """After a status is deleted: delete its attachments and their files."""
    return services.media_delete_for_status(status_id=status_id)


@shared_task(name="media.moderate", ignore_result=True)
def media_moderate_task(*, media_id: int, action: str) -> bool:
    """Moderation decided on unattached media (``ContentActioned``)."""
    return services.media_moderate(media_id=media_id, action=action)
