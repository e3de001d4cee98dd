"""Media's Prometheus metrics, read from the database when /metrics is scraped.

Processing runs on the Celery workers, which serve no /metrics: what it left behind
(attachments waiting or being processed, failures of the last hour) is read at scrape
time instead (:func:`collect`, registered with :mod:`core.metrics`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from apps.media.models import MediaAttachment, ProcessingState

# Failures counted by media_processing_failed_recent: those of the last hour.
RECENT_FAILURES = timedelta(hours=1)


def collect() -> Iterator[GaugeMetricFamily]:
    """Attachments pending and processing, the oldest's age, and recent failures (one query)."""
    now = timezone.now()
    waiting = (ProcessingState.PENDING, ProcessingState.PROCESSING)
    rows = {
        row["state"]: row
        for row in MediaAttachment.objects.filter(
            Q(state__in=waiting)
            | Q(state=ProcessingState.FAILED, updated_at__gte=now - RECENT_FAILURES)
        )
        .values("state")
        .annotate(attachments=Count("pk"), oldest=Min("created_at"))
        .order_by()
    }
    backlog = GaugeMetricFamily(
        "media_processing_backlog",
        "Media attachments waiting for processing or being processed, by state.",
        labels=["state"],
    )
    oldest = GaugeMetricFamily(
        "media_processing_oldest_seconds",
        "Age of the oldest attachment in each unfinished state (0 when there is none).",
        labels=["state"],
    )
    for state in waiting:
        row = rows.get(state)
        backlog.add_metric([str(state)], row["attachments"] if row else 0)
        age = (now - row["oldest"]).total_seconds() if row else 0.0
        oldest.add_metric([str(state)], max(0.0, age))
    failed = GaugeMetricFamily(
        "media_processing_failed_recent",
        "Media attachments whose processing failed within the last hour.",
    )
    failed_row = rows.get(ProcessingState.FAILED)
    failed.add_metric([], failed_row["attachments"] if failed_row else 0)
    yield backlog
    yield oldest
    yield failed
