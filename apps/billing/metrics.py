"""Billing's Prometheus metrics, served at /metrics beside django-prometheus's.

Stripe's deliveries are counted as the web process answers them; what the workers
made of them (processed, failing and retried) is read from the database when
/metrics is scraped (:func:`collect`, registered with :mod:`core.metrics`).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from apps.billing.models import WebhookEvent

# ``result``: accepted (stored the first time), duplicate (delivered again), or the
# refusal's code: signature_invalid, malformed (400, nothing stored), billing_not_configured.
webhook_deliveries_total = Counter(
    "billing_webhook_deliveries",
    "Stripe webhook deliveries answered, by result.",
    ["result"],
)


def collect() -> Iterator[GaugeMetricFamily]:
    """Stored Stripe events not yet processed, by state, and the oldest one's age (one query)."""
    now = timezone.now()
    rows = {
        row["state"]: row
        for row in WebhookEvent.objects.filter(
            state__in=(WebhookEvent.State.PENDING, WebhookEvent.State.FAILED)
        )
        .values("state")
        .annotate(events=Count("pk"), oldest=Min("received_at"))
        .order_by()
    }
    events = GaugeMetricFamily(
        "billing_webhook_events_unprocessed",
        "Stripe events stored but not processed: pending (queued) or failed (retried with backoff).",
        labels=["state"],
    )
    oldest = GaugeMetricFamily(
        "billing_webhook_events_oldest_unprocessed_seconds",
        "Age of the oldest Stripe event in each unprocessed state (0 when there is none).",
        labels=["state"],
    )
    for state in (WebhookEvent.State.PENDING, WebhookEvent.State.FAILED):
        row = rows.get(state)
        events.add_metric([str(state)], row["events"] if row else 0)
        age = (now - row["oldest"]).total_seconds() if row else 0.0
        oldest.add_metric([str(state)], max(0.0, age))
    yield events
    yield oldest
