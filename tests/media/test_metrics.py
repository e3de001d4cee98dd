"""Media processing's backlog and recent failures, at /metrics (apps.media.metrics)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.media.models import MediaAttachment, ProcessingState
from tests.metrics_scrape import sample, scrape

pytestmark = pytest.mark.django_db


def attachment(user, state: str, *, age: timedelta = timedelta(0)) -> MediaAttachment:
    media = MediaAttachment.objects.create(account=user, type="video", state=state)
    # created_at and updated_at are set on save: move them back by hand.
    when = timezone.now() - age
    MediaAttachment.objects.filter(pk=media.pk).update(created_at=when, updated_at=when)
    return media


def test_the_backlog_counts_waiting_and_processing_media_and_recent_failures(user):
    attachment(user, ProcessingState.PENDING, age=timedelta(minutes=20))
    attachment(user, ProcessingState.PENDING)
    attachment(user, ProcessingState.PROCESSING, age=timedelta(minutes=3))
    attachment(user, ProcessingState.READY, age=timedelta(hours=2))
    attachment(user, ProcessingState.FAILED, age=timedelta(minutes=5))
    attachment(user, ProcessingState.FAILED, age=timedelta(hours=3))

    samples = scrape()

    assert sample(samples, "media_processing_backlog", state="pending") == 2
    assert sample(samples, "media_processing_backlog", state="processing") == 1
    assert 1200 <= sample(samples, "media_processing_oldest_seconds", state="pending") < 1260
    assert 180 <= sample(samples, "media_processing_oldest_seconds", state="processing") < 240
    assert sample(samples, "media_processing_failed_recent") == 1


def test_with_no_media_the_gauges_are_zero():
    samples = scrape()

    for state in ("pending", "processing"):
        assert sample(samples, "media_processing_backlog", state=state) == 0
        assert sample(samples, "media_processing_oldest_seconds", state=state) == 0
    assert sample(samples, "media_processing_failed_recent") == 0
