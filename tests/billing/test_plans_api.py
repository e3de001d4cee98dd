"""Plans and entitlements through the API: checkout, the portal, the subscription, dunning."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.billing.models import Customer, Notice, Subscription
from core.entitlements import FREE, entitlements_for
from core.models import OutboxEvent

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/agora/v1/billing/plans"),
    ("get", "/api/agora/v1/billing/subscription"),
    ("post", "/api/agora/v1/billing/checkout"),
    ("post", "/api/agora/v1/billing/portal"),
]


def signed_in(api_client, token_for, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return api_client


def long_status(api_client, length):
    return api_client.post("/api/v1/statuses", {"status": "x" * length}, format="json")


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_without_stripe_keys_every_endpoint_says_billing_is_not_configured(
    api_client, token_for, user, method, path
):
    client = signed_in(api_client, token_for, user)
    response = getattr(client, method)(
        path, {"price": "price_x"} if method == "post" else None, format="json"
    )
    assert response.status_code == 503
    assert "not configured" in response.json()["error"]
    assert entitlements_for(user) == FREE


def test_without_stripe_keys_the_webhook_is_refused_with_nothing_stored(client):
    from apps.billing.models import WebhookEvent

    response = client.post(
        "/api/agora/v1/billing/webhook",
        data=b"{}",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=x",
    )
    assert response.status_code == 503
    assert WebhookEvent.objects.count() == 0


def test_billing_endpoints_need_a_signed_in_account(api_client, stripe_fake):
    assert api_client.get("/api/agora/v1/billing/subscription").status_code == 401


def test_plans_lists_the_plans_on_offer_with_their_entitlements(api_client, token_for, user, plan):
    response = signed_in(api_client, token_for, user).get("/api/agora/v1/billing/plans")
    assert response.status_code == 200
    [offered] = response.json()
    assert offered["tier"] == "pro"
    assert offered["price"] == plan.stripe_price_id
    assert offered["entitlements"]["max_status_characters"] == 5000
    assert offered["entitlements"]["can_go_live"] is True


def test_a_price_that_is_no_plan_is_refused_by_field(
    api_client, token_for, user, plan, stripe_fake
):
    client = signed_in(api_client, token_for, user)
    for price in ("price_unknown", ""):
        response = client.post("/api/agora/v1/billing/checkout", {"price": price}, format="json")
        assert response.status_code == 422, price
    assert stripe_fake.state().get("customer", 0) == 0


def test_checkout_answers_a_stripe_checkout_url_and_makes_one_customer(
    api_client, token_for, user, plan, stripe_fake, stripe_client
):
    client = signed_in(api_client, token_for, user)
    first = client.post(
        "/api/agora/v1/billing/checkout", {"price": plan.stripe_price_id}, format="json"
    )
    second = client.post(
        "/api/agora/v1/billing/checkout", {"price": plan.stripe_price_id}, format="json"
    )
    assert first.status_code == second.status_code == 200
    assert first.json()["url"].startswith(f"{stripe_fake.url}/pay/cs_test_")
    assert stripe_fake.state().get("customer", 0) == 1
    customer = Customer.objects.get(account=user)
    session_id = first.json()["url"].rsplit("/", 1)[-1]
    session = stripe_client.v1.checkout.sessions.retrieve(session_id)
    assert session.customer == customer.stripe_id
    assert session.client_reference_id == str(user.pk)
    assert session.metadata["agora_account_id"] == str(user.pk)


def test_checkout_to_an_active_plan_raises_the_status_length(
    api_client, token_for, user, plan, subscribed
):
    client = signed_in(api_client, token_for, user)
    assert long_status(client, 600).status_code == 422

    subscription = subscribed(user)

    assert subscription.status == "active"
    assert subscription.plan == plan
    assert entitlements_for(user).tier == "pro"
    client = signed_in(api_client, token_for, user)
    assert long_status(client, 600).status_code == 200
    body = client.get("/api/agora/v1/billing/subscription").json()
    assert body["tier"] == "pro"
    assert body["status"] == "active"
    assert body["plan"]["tier"] == "pro"
    assert body["cancel_at_period_end"] is False
    assert body["current_period_end"] is not None
    assert body["entitlements"]["max_status_characters"] == 5000
    assert body["entitlements"]["rate_limit_tier"] == "pro"
    assert [notice["kind"] for notice in body["notices"]] == ["plan_started"]
    changed = OutboxEvent.objects.filter(event_type="SubscriptionChanged")
    assert {row.payload["tier"] for row in changed} == {"pro"}


def test_a_second_checkout_while_subscribed_is_a_conflict(
    api_client, token_for, user, plan, subscribed
):
    subscribed(user)
    client = signed_in(api_client, token_for, user)
    response = client.post(
        "/api/agora/v1/billing/checkout", {"price": plan.stripe_price_id}, format="json"
    )
    assert response.status_code == 409
    assert "portal" in response.json()["error"]


def test_the_portal_needs_a_billing_account_then_answers_its_url(
    api_client, token_for, user, plan, subscribed, stripe_fake
):
    client = signed_in(api_client, token_for, user)
    refused = client.post("/api/agora/v1/billing/portal")
    assert refused.status_code == 409
    subscribed(user)
    client = signed_in(api_client, token_for, user)
    response = client.post("/api/agora/v1/billing/portal")
    assert response.status_code == 200
    assert response.json()["url"].startswith(f"{stripe_fake.url}/portal/")


def test_cancel_at_period_end_is_shown(
    api_client, token_for, user, subscribed, stripe_client, deliver_all
):
    subscription = subscribed(user)
    stripe_client.v1.subscriptions.update(subscription.stripe_id, {"cancel_at_period_end": True})
    deliver_all()
    body = signed_in(api_client, token_for, user).get("/api/agora/v1/billing/subscription").json()
    assert body["cancel_at_period_end"] is True
    assert body["tier"] == "pro"


def test_payment_failure_keeps_the_plan_through_grace_then_falls_to_free(
    api_client, token_for, user, subscribed, stripe_fake, deliver_all, eager
):
    subscription = subscribed(user)

    stripe_fake.renew(subscription.stripe_id, succeed=False)
    deliver_all()

    subscription.refresh_from_db()
    assert subscription.status == "past_due"
    assert subscription.grace_until > timezone.now() + dt.timedelta(days=6)
    assert entitlements_for(user).tier == "pro"
    notices = Notice.objects.filter(account=user, kind="payment_failed")
    assert notices.count() == 1
    assert "customer portal" in notices.get().text
    assert OutboxEvent.objects.filter(event_type="PaymentFailed").count() == 1

    # when the grace period has passed
    Subscription.objects.filter(pk=subscription.pk).update(
        grace_until=timezone.now() - dt.timedelta(seconds=1)
    )
    from django.core.cache import cache

    cache.clear()
    assert entitlements_for(user) == FREE
    client = signed_in(api_client, token_for, user)
    assert long_status(client, 600).status_code == 422

    # and the dunning sweep tells the account, once
    from apps.billing.tasks import dunning_task

    with eager():
        assert dunning_task() == 1
    assert dunning_task() == 0
    lapsed = Notice.objects.get(account=user, kind="plan_lapsed")
    assert "free plan" in lapsed.text
    last = OutboxEvent.objects.filter(event_type="SubscriptionChanged").order_by("-pk").first()
    assert last.payload["tier"] == "free"


def test_a_recovered_payment_ends_dunning(user, subscribed, stripe_fake, deliver_all):
    subscription = subscribed(user)
    stripe_fake.renew(subscription.stripe_id, succeed=False)
    deliver_all()
    stripe_fake.renew(subscription.stripe_id, succeed=True)
    deliver_all()
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert subscription.grace_until is None
    assert OutboxEvent.objects.filter(event_type="PaymentSucceeded").count() == 2


def test_a_subscription_stripe_cancels_ends_the_plan(user, subscribed, stripe_fake, deliver_all):
    subscription = subscribed(user)
    stripe_fake.expire(subscription.stripe_id, status="canceled")
    deliver_all()
    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    assert entitlements_for(user) == FREE
    assert Notice.objects.filter(account=user, kind="plan_ended").count() == 1


def test_entitlements_are_cached_and_cleared_by_the_events_that_change_them(
    user, subscribed, stripe_fake, deliver_all, django_assert_num_queries
):
    subscription = subscribed(user)
    entitlements_for(user)
    with django_assert_num_queries(0):
        assert entitlements_for(user).tier == "pro"
    stripe_fake.expire(subscription.stripe_id, status="canceled")
    deliver_all()
    assert entitlements_for(user) == FREE


def test_the_plans_rate_tier_and_scheduled_limit_apply(user, subscribed):
    subscribed(user)
    plan = entitlements_for(user)
    assert plan.throttle_tier == "pro"
    assert plan.max_scheduled_statuses == 1000


def test_readyz_reports_billing_as_an_optional_part(client, settings, db):
    body = client.get("/readyz").json()
    assert "billing" in body["degraded"]
    assert "not configured" in body["optional"]["billing"]["detail"]
    settings.STRIPE_IS_CONFIGURED = True
    settings.DJSTRIPE_WEBHOOK_SECRET = "whsec_x"
    body = client.get("/readyz").json()
    assert body["optional"]["billing"]["status"] == "ok"
