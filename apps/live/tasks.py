"""Live's Celery tasks: thin, each calls a service."""

from __future__ import annotations

from celery import shared_task

from apps.live.services import viewers


@shared_task(name="live.viewer_counts", ignore_result=True, expires=10)
def viewer_counts_task() -> int:
    """Periodic (every 5 s): tell each live stream's room its viewer count and fold the
    counts into its peak and unique viewers."""
    return viewers.viewer_counts_fold()
