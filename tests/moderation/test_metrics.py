"""Review cases past their SLA, at /metrics (``moderation_queue_overdue``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
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


def test_a_case_queued_after_a_scrape_shows_at_the_next_one_without_counting_the_queue(
    alice, django_capture_on_commit_callbacks
):
    services.queue_metrics_refresh()
    assert sample(scrape(), "moderation_queue_size", priority="high") == 0
    post = alice.post("you are all idiots")

    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.queue_for_review(
            content_type="status",
            content_id=int(post["id"]),
            author_id=int(post["account"]["id"]),
            category="offensive",
            score=1.0,
        )

    # Queueing writes the case; the count over every open case waits for the scrape.
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert sample(scrape(), "moderation_queue_size", priority="high") == 1
