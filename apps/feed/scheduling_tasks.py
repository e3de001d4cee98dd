"""The Celery task that publishes due scheduled statuses.

Migration ``feed.0003`` creates its django-celery-beat ``PeriodicTask`` ("feed:
publish due scheduled statuses", every minute); operators may retime it in the admin.
"""

from __future__ import annotations

from celery import shared_task

from apps.feed.services.scheduling import scheduled_statuses_publish_due


@shared_task(name="feed.scheduled_statuses.publish", ignore_result=True)
def scheduled_statuses_publish_task() -> int:
    """Publish every scheduled status that is due; safe to run twice (rows are locked)."""
    return len(scheduled_statuses_publish_due())
