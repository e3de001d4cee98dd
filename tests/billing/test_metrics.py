"""Stripe's deliveries and the events left unprocessed, at /metrics (apps.billing.metrics)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from apps.billing.models import WebhookEvent
from tests.billing.test_webhooks import subscription_event
from tests.metrics_scrape import sample, scrape

pytestmark = pytest.mark.django_db


def deliveries(result: str) -> float:
    return REGISTRY.get_sample_value("billing_webhook_deliveries_total", {"result": result}) or 0.0


def test_deliveries_are_counted_by_result(deliver, user, plan):
    before = {r: deliveries(r) for r in ("accepted", "duplicate", "signature_invalid")}
    event = subscription_event(
        type="customer.subscription.created",
        sub_id="sub_metrics",
        customer="cus_metrics",
        status="active",
        created=100,
        price=plan.stripe_price_id,
        account_id=user.pk,
    )

    assert deliver(event).status_code == 200
    assert deliver(event).status_code == 200
    assert deliver(event, secret="whsec_wrong").status_code == 400

    samples = scrape()
    assert {r: sample(samples, "billing_webhook_deliveries_total", result=r) for r in before} == {
        r: before[r] + 1 for r in before
    }


def stored(stripe_id: str, *, state: str, age: timedelta) -> WebhookEvent:
    return WebhookEvent.objects.create(
        stripe_id=stripe_id,
        type="invoice.payment_failed",
        stripe_created=100,
        payload={},
        state=state,
        received_at=timezone.now() - age,
    )


def test_unprocessed_events_are_counted_by_state_with_the_oldest_age(stripe_fake):
    stored("evt_failed_old", state="failed", age=timedelta(hours=2))
    stored("evt_failed_new", state="failed", age=timedelta(minutes=1))
    stored("evt_pending", state="pending", age=timedelta(minutes=10))
    stored("evt_done", state="processed", age=timedelta(days=3))

    samples = scrape()

    assert sample(samples, "billing_webhook_events_unprocessed", state="failed") == 2
    assert sample(samples, "billing_webhook_events_unprocessed", state="pending") == 1
    oldest_failed = sample(
        samples, "billing_webhook_events_oldest_unprocessed_seconds", state="failed"
    )
    assert 7200 <= oldest_failed < 7260
    oldest_pending = sample(
        samples, "billing_webhook_events_oldest_unprocessed_seconds", state="pending"
    )
    assert 600 <= oldest_pending < 660


def test_with_nothing_unprocessed_the_gauges_are_zero(stripe_fake):
    stored("evt_done", state="processed", age=timedelta(days=3))

    samples = scrape()

    for state in ("pending", "failed"):
        assert sample(samples, "billing_webhook_events_unprocessed", state=state) == 0
        assert (
            sample(samples, "billing_webhook_events_oldest_unprocessed_seconds", state=state) == 0
        )
