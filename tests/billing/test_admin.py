"""Finance's back office for billing: failed Stripe events and their replay."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.billing.models import Customer, WebhookEvent
from tests.billing.test_webhooks import subscription_event
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_event(deliver, plan):
    event = subscription_event(
        type="customer.subscription.created",
        sub_id="sub_admin",
        customer="cus_later",
        status="active",
        created=100,
        price=plan.stripe_price_id,
    )
    deliver(event)
    return WebhookEvent.objects.get(stripe_id=event["id"])


def test_finance_sees_failed_events_with_their_error(failed_event):
    client = verified_client(staff_member("finance"))
    changelist = reverse("admin:billing_webhookevent_changelist")
    response = client.get(changelist, {"state__exact": "failed"})
    assert response.status_code == 200
    assert failed_event.stripe_id in response.content.decode()
    detail = client.get(reverse("admin:billing_webhookevent_change", args=[failed_event.pk]))
    assert "cus_later" in detail.content.decode()


def test_finance_replays_a_failed_event_once_its_cause_is_fixed(failed_event, user, eager):
    Customer.objects.create(account=user, stripe_id="cus_later")
    client = verified_client(staff_member("finance"))
    with eager():
        response = client.post(
            reverse("admin:billing_webhookevent_changelist"),
            {"action": "replay", "_selected_action": [failed_event.pk]},
        )
    assert response.status_code == 302
    failed_event.refresh_from_db()
    assert failed_event.state == "processed"


def test_a_moderator_cannot_replay_or_see_stripe_events(failed_event):
    client = verified_client(staff_member("moderator"))
    response = client.post(
        reverse("admin:billing_webhookevent_changelist"),
        {"action": "replay", "_selected_action": [failed_event.pk]},
    )
    assert response.status_code == 403
    failed_event.refresh_from_db()
    assert failed_event.state == "failed"
