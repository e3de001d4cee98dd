"""Stripe's webhooks: refused unsigned, stored once, processed once, in any order."""

from __future__ import annotations

import copy
import json
import time

import pytest

from apps.billing.models import Customer, Notice, Subscription, WebhookEvent
from core.models import OutboxEvent
from tests.billing.conftest import WEBHOOK_PATH

pytestmark = pytest.mark.django_db


def subscription_event(
    *, type, sub_id, customer, status, created, price="price_unknown", account_id=None
):
    metadata = {"agora_account_id": str(account_id), "agora_kind": "platform"} if account_id else {}
    return {
        "id": f"evt_{sub_id}_{type.replace('.', '_')}_{status}_{created}",
        "object": "event",
        "api_version": "2026-08-26.dahlia",
        "created": created,
        "livemode": False,
        "type": type,
        "data": {
            "object": {
                "id": sub_id,
                "object": "subscription",
                "customer": customer,
                "status": status,
                "cancel_at_period_end": False,
                "metadata": metadata,
                "items": {
                    "object": "list",
                    "data": [
                        {
                            "id": "si_1",
                            "price": {"id": price},
                            "current_period_end": created + 30 * 86400,
                        }
                    ],
                },
            }
        },
    }


@pytest.fixture
def event_for(user, plan):
    def make(type, status, created, sub_id="sub_order"):
        return subscription_event(
            type=type,
            sub_id=sub_id,
            customer="cus_order",
            status=status,
            created=created,
            price=plan.stripe_price_id,
            account_id=user.pk,
        )

    return make


def test_a_wrong_secret_is_refused_with_nothing_stored(deliver, event_for):
    response = deliver(
        event_for("customer.subscription.created", "active", 100), secret="whsec_wrong"
    )
    assert response.status_code == 400
    assert "signature" in response.json()["error"].lower()
    assert WebhookEvent.objects.count() == 0
    assert Subscription.objects.count() == 0


def test_an_old_timestamp_is_refused_with_nothing_stored(deliver, event_for):
    stale = int(time.time()) - 301
    response = deliver(event_for("customer.subscription.created", "active", 100), timestamp=stale)
    assert response.status_code == 400
    assert "tolerance" in response.json()["error"].lower()
    assert WebhookEvent.objects.count() == 0


def test_a_missing_signature_or_a_body_that_is_no_event_is_refused(client, deliver, stripe_fake):
    missing = client.post(WEBHOOK_PATH, data=b"{}", content_type="application/json")
    assert missing.status_code == 400
    assert "Stripe-Signature" in missing.json()["error"]
    for body in (b"not json", b"[]", json.dumps({"id": "nope", "type": "x"}).encode()):
        response = deliver({}, raw=body)
        assert response.status_code == 400, body
    assert client.get(WEBHOOK_PATH).status_code == 405
    assert WebhookEvent.objects.count() == 0


def test_a_valid_event_is_stored_answered_and_processed(deliver, event_for, user):
    response = deliver(event_for("customer.subscription.created", "active", 100))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert response.json() == {"received": event.stripe_id, "duplicate": False}
    assert event.state == "processed"
    assert event.attempts == 1
    assert Subscription.objects.get().status == "active"


def test_the_same_event_delivered_twice_is_processed_once(deliver, event_for, user):
    event = event_for("customer.subscription.created", "active", 100)
    assert deliver(event).status_code == 200
    again = deliver(event)
    assert again.json()["duplicate"] is True
    stored = WebhookEvent.objects.get()
    assert stored.deliveries == 2
    assert stored.attempts == 1
    assert Notice.objects.filter(kind="plan_started").count() == 1
    assert OutboxEvent.objects.filter(event_type="SubscriptionChanged").count() == 1


def test_updated_before_created_ends_as_updated_said(deliver, event_for):
    deliver(event_for("customer.subscription.updated", "active", 200))
    deliver(event_for("customer.subscription.created", "incomplete", 100))
    subscription = Subscription.objects.get()
    assert subscription.status == "active"
    assert subscription.source_event_created == 200
    assert WebhookEvent.objects.filter(state="processed").count() == 2


def test_deleted_before_updated_stays_deleted(deliver, event_for, user):
    deliver(event_for("customer.subscription.created", "active", 100))
    deliver(event_for("customer.subscription.deleted", "canceled", 300))
    deliver(event_for("customer.subscription.updated", "past_due", 200))
    subscription = Subscription.objects.get()
    assert subscription.status == "canceled"
    assert subscription.grace_until is None


def test_an_ended_subscription_never_comes_back(deliver, event_for):
    deliver(event_for("customer.subscription.deleted", "canceled", 300))
    deliver(event_for("customer.subscription.updated", "active", 400))
    assert Subscription.objects.get().status == "canceled"


def test_two_events_of_one_second_that_disagree_are_settled_by_stripe(
    deliver, user, plan, subscribed, stripe_fake
):
    subscription = subscribed(user)
    created = subscription.source_event_created
    stale = subscription_event(
        type="customer.subscription.updated",
        sub_id=subscription.stripe_id,
        customer="cus_x",
        status="past_due",
        created=created,
        price=plan.stripe_price_id,
        account_id=user.pk,
    )
    stale["id"] = "evt_same_second"
    deliver(stale)
    subscription.refresh_from_db()
    assert subscription.status == "active"  # what Stripe says the subscription is now


def test_a_failing_event_is_kept_for_retry_and_does_not_block_others(
    deliver, user, plan, event_for, eager
):
    orphan = subscription_event(
        type="customer.subscription.created",
        sub_id="sub_orphan",
        customer="cus_nobody",
        status="active",
        created=100,
        price=plan.stripe_price_id,
    )
    assert deliver(orphan).status_code == 200  # accepted: Stripe must not retry a bad handler
    failed = WebhookEvent.objects.get(stripe_id=orphan["id"])
    assert failed.state == "failed"
    assert "cus_nobody" in failed.last_error
    assert failed.next_attempt_at is not None

    deliver(event_for("customer.subscription.created", "active", 100))
    assert Subscription.objects.filter(stripe_id="sub_order").exists()

    # when the customer is linked and the retry is due
    Customer.objects.create(account=user, stripe_id="cus_nobody")
    from django.utils import timezone

    WebhookEvent.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
    from apps.billing.tasks import retry_events_task

    with eager():
        assert retry_events_task() == 1
    failed.refresh_from_db()
    assert failed.state == "processed"
    assert failed.attempts == 2
    assert Subscription.objects.filter(stripe_id="sub_orphan", account=user).exists()


def test_checkout_events_in_any_order_end_the_same(
    api_client, token_for, user, plan, stripe_fake, deliver
):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    url = api_client.post(
        "/api/agora/v1/billing/checkout", {"price": plan.stripe_price_id}, format="json"
    ).json()["url"]
    stripe_fake.complete_checkout(url.rsplit("/", 1)[-1])
    for event in reversed(stripe_fake.events()):
        assert deliver(copy.deepcopy(event)).status_code == 200
    subscription = Subscription.objects.get(account=user)
    assert subscription.status == "active"
    assert WebhookEvent.objects.exclude(state="processed").count() == 0
    assert Notice.objects.filter(account=user, kind="plan_started").count() == 1


def test_processing_an_event_costs_the_same_queries_for_any_number_of_subscriptions(
    deliver, event_for, django_assert_num_queries, settings
):
    settings.BILLING_MIRROR_DJSTRIPE = False  # dj-stripe's copy is a task of its own
    deliver(event_for("customer.subscription.created", "active", 100))
    for n in range(3):
        deliver(event_for("customer.subscription.created", "active", 100, sub_id=f"sub_other_{n}"))
    with django_assert_num_queries(19):
        deliver(event_for("customer.subscription.updated", "past_due", 200))
