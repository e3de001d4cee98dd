"""Celery task of preview cards: thin, it calls :mod:`apps.feed.services.cards`."""

from __future__ import annotations

from celery import shared_task

from apps.feed.services import cards


@shared_task(
    name="feed.fetch_card",
    ignore_result=True,
    soft_time_limit=60,
    time_limit=90,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=3,
)
def fetch_card_task(*, status_id: int) -> None:
    """Fetch the preview of a status's first link and attach it (see the service)."""
    cards.status_card_fetch(status_id=status_id)
