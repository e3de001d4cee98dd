"""Event subscriptions of the review side.

Reports and cases come in through services (the API, the pipeline's
``queue_for_review``); the only event heard here keeps the queue gauge true when
an author deletes content under review; the gauge itself reads the database when
scraped (:func:`apps.moderation.services.queue_metrics_connect`). The Celery task module is imported so
workers register its tasks.
"""

from __future__ import annotations

from core import events


def on_content_deleted(event: events.ContentDeleted) -> None:
    from apps.moderation import services

    services.queue_metrics_refresh()


def connect() -> None:
    from apps.moderation import (
        case_tasks,  # noqa: F401 (registers the Celery task)
        services,
    )

    services.queue_metrics_connect()

    events.subscribe(events.ContentDeleted, on_content_deleted)
