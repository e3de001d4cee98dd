"""Celery tasks of the live app. Thin: each calls one service and owns its retries."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils.translation import gettext as _

from apps.live.services import replays, viewers
from apps.media import ffmpeg
from core import errors

logger = logging.getLogger(__name__)

REPLAY_MAX_RETRIES = 5
REPLAY_BACKOFF_SECONDS = 60


@shared_task(
    bind=True,
    name=replays.REPLAY_TASK,
    ignore_result=True,
    acks_late=True,
    max_retries=REPLAY_MAX_RETRIES,
)
def replay_create_task(self, *, stream_id: int, file_name: str) -> int | None:
    """Make a stream's recording its replay; a failed remux is retried, a refusal recorded."""
    try:
        return replays.replay_create(stream_id=stream_id, file_name=file_name)
    except (errors.Unprocessable, errors.Invalid, errors.NotFound) as exc:
        replays.replay_fail(stream_id=stream_id, reason=exc.message)
        return None
    except (ffmpeg.ToolFailed, ffmpeg.ToolMissing, errors.Unavailable) as exc:
        retries = self.request.retries or 0
        if retries < REPLAY_MAX_RETRIES:
            raise self.retry(exc=exc, countdown=REPLAY_BACKOFF_SECONDS * 2**retries) from None
        # ffmpeg's words name the server's folders: they go to the log only.
        logger.warning("live replay of stream %s failed: %s", stream_id, exc)
        replays.replay_fail(
            stream_id=stream_id,
            reason=_("The recording could not be read: ffmpeg could not convert it."),
        )
        return None


@shared_task(name="live.viewer_counts", ignore_result=True, expires=10)
def viewer_counts_task() -> int:
    """Periodic (every 5 s): tell each live stream's room its viewer count and fold the
    counts into its peak and unique viewers."""
    return viewers.viewer_counts_fold()
