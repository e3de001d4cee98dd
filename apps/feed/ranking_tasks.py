"""Celery tasks of the ranked home timeline.

``ranking_train_task`` runs hourly: migration ``feed.0002`` creates its
django-celery-beat ``PeriodicTask`` ("feed: train the ranked timeline model"),
which operators may retime or disable in the admin.
"""

from __future__ import annotations

from celery import shared_task

from apps.feed.services.ranking import ranking_model_train


@shared_task(name="feed.ranking.train", ignore_result=True)
def ranking_train_task() -> int | None:
    """Train the next ranking model version; the new version, or None when data is short."""
    model = ranking_model_train()
    return model.version if model else None
