"""Review cases past their SLA, at /metrics (``moderation_queue_overdue``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.moderation import services
from apps.moderation.models import Case
from tests.metrics_scrape import sample, scrape
from tests.moderation.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_open_cases_past_their_sla_are_counted_by_band():
    now = timezone.now()
    CaseFactory(priority=5.0, sla_due_at=now - timedelta(minutes=1))
    CaseFactory(priority=5.0, sla_due_at=now + timedelta(hours=1))
    CaseFactory(priority=0.5, sla_due_at=now - timedelta(days=1))
    CaseFactory(priority=0.5, sla_due_at=now - timedelta(days=1), state=Case.State.RESOLVED)
    services.queue_metrics_refresh()

    samples = scrape()

    assert {
        band: sample(samples, "moderation_queue_overdue", priority=band)
        for band in ("high", "medium", "low")
    } == {"high": 1, "medium": 0, "low": 1}
    assert sample(samples, "moderation_queue_size", priority="high") == 2


def test_the_overdue_gauge_reads_the_database_when_stale(monkeypatch):
    CaseFactory(priority=2.0, sla_due_at=timezone.now() - timedelta(minutes=1))
    monkeypatch.setitem(services._queue_sizes, "at", float("-inf"))

    assert sample(scrape(), "moderation_queue_overdue", priority="medium") == 1
