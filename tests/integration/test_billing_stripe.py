"""Billing against real PostgreSQL, Redis, a Celery worker and a fake Stripe over HTTP.

Stripe's webhooks reach Agora's endpoint on a live server, signed with Stripe's
scheme; the real worker processes them from the Redis broker. The payout batch runs
as ``manage.py billing_payouts`` in its own process, killed halfway and run again.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
import stripe

from apps.billing.models import LedgerEntry, Notice, Payout, Plan, Subscription, WebhookEvent
from apps.billing.services import ledger, payouts
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient
from tests.fakestripe import sign
from tests.integration.conftest import BASE_DIR, _test_database_url

pytestmark = pytest.mark.integration

WEBHOOK_PATH = "/api/agora/v1/billing/webhook"


def wait_for(predicate, *, timeout=30.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def fake(stripe_server):
    stripe_server.reset()
    stripe_server.deliver = "manual"
    stripe_server.webhook_url = None
    stripe_server.latency.clear()
    yield stripe_server
    stripe_server.deliver = "manual"
    stripe_server.latency.clear()


@pytest.fixture
def stripe_client(fake):
    return stripe.StripeClient("sk_test_integration", base_addresses={"api": fake.url})


@pytest.fixture
def plan(transactional_db, stripe_client):
    product = stripe_client.v1.products.create({"name": "Pro"})
    price = stripe_client.v1.prices.create(
        {
            "product": product.id,
            "unit_amount": 500,
            "currency": "eur",
            "recurring": {"interval": "month"},
        }
    )
    return Plan.objects.create(
        tier="pro", name="Pro", stripe_price_id=price.id, max_status_characters=5000
    )


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=user).token}")
    return client


def checkout(user, price, fake) -> None:
    response = as_user(user).post("/api/agora/v1/billing/checkout", {"price": price}, format="json")
    assert response.status_code == 200, response.content
    fake.complete_checkout(response.json()["url"].rsplit("/", 1)[-1])


def post_signed(url: str, payload: bytes, secret: str) -> int:
    request = urllib.request.Request(  # noqa: S310 (the live server)
        url,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload, secret)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_checkout_to_an_active_plan_through_real_webhooks_and_a_real_worker(
    plan, fake, live_server, celery_worker_process
):
    fake.webhook_url = live_server.url + WEBHOOK_PATH
    fake.deliver = "auto"
    user = UserFactory()
    assert (
        as_user(user).post("/api/v1/statuses", {"status": "x" * 600}, format="json").status_code
        == 422
    )

    checkout(user, plan.stripe_price_id, fake)
    assert fake.flush_webhooks()

    wait_for(
        lambda: Subscription.objects.filter(account=user, status="active").exists(),
        what=f"the subscription to be active (worker log: {celery_worker_process.worker_log()[-1500:]})",
    )
    wait_for(
        lambda: not WebhookEvent.objects.exclude(state="processed").exists(),
        what="every event processed",
    )
    assert (
        as_user(user).post("/api/v1/statuses", {"status": "x" * 600}, format="json").status_code
        == 200
    )

    # a failed renewal: the plan holds through the grace period, and the account is told
    subscription = Subscription.objects.get(account=user)
    fake.renew(subscription.stripe_id, succeed=False)
    assert fake.flush_webhooks()
    wait_for(
        lambda: Notice.objects.filter(account=user, kind="payment_failed").exists(),
        what="the notice",
    )
    wait_for(
        lambda: Subscription.objects.filter(pk=subscription.pk, status="past_due").exists(),
        what="the subscription to be past due",
    )
    subscription.refresh_from_db()
    assert subscription.grace_until is not None
    assert (
        as_user(user).post("/api/v1/statuses", {"status": "y" * 600}, format="json").status_code
        == 200
    )
    assert all(status == 200 for status in (d["status"] for d in fake.deliveries()))


def test_the_same_event_delivered_twice_at_the_same_moment_is_processed_once(
    plan, fake, live_server, celery_worker_process
):
    user = UserFactory()
    checkout(user, plan.stripe_price_id, fake)
    sent = fake.events()
    url = live_server.url + WEBHOOK_PATH

    for event in sent:
        payload = fake.event_payload(event["id"])
        barrier = threading.Barrier(2)
        statuses = []

        def deliver(payload=payload, barrier=barrier, statuses=statuses):
            barrier.wait()
            statuses.append(post_signed(url, payload, fake.webhook_secret))

        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200, 200]

    wait_for(
        lambda: WebhookEvent.objects.filter(state="processed").count() == len(sent),
        what="every event processed",
    )
    for stored in WebhookEvent.objects.all():
        assert stored.deliveries == 2, stored.type
        assert stored.attempts == 1, stored.type
    assert Subscription.objects.get(account=user).status == "active"
    assert Notice.objects.filter(account=user, kind="plan_started").count() == 1


def test_two_workers_racing_on_one_event_run_its_handler_once(plan, fake, transactional_db):
    """Row locks on PostgreSQL: two processing calls at once, one does the work."""
    from django.db import connection

    from apps.billing import services

    user = UserFactory()
    checkout(user, plan.stripe_price_id, fake)
    created = next(e for e in fake.events() if e["type"] == "customer.subscription.created")
    event = WebhookEvent.objects.create(
        stripe_id=created["id"],
        type=created["type"],
        stripe_created=created["created"],
        payload=created,
    )
    barrier = threading.Barrier(2)
    results = []

    def process():
        barrier.wait()
        try:
            results.append(services.event_process(event_id=event.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    event.refresh_from_db()
    assert event.attempts == 1


def _payout_command(env) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "billing_payouts"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_a_payout_batch_killed_midway_and_run_again_pays_each_creator_exactly_once(
    fake, stripe_client, transactional_db, settings
):
    settings.BILLING_PAYOUT_MINIMUM = 100
    creators = [UserFactory() for _ in range(6)]
    day = payouts.previous_month() + dt.timedelta(days=3)
    for creator in creators:
        account = stripe_client.v1.accounts.create({"type": "express"})
        fake.onboard(account.id)
        from apps.billing.models import ConnectAccount

        ConnectAccount.objects.create(
            account=creator,
            stripe_id=account.id,
            charges_enabled=True,
            payouts_enabled=True,
            details_submitted=True,
        )
        ledger.watch_time_record(
            viewer_id=UserFactory().pk,
            creator_id=creator.pk,
            source="status:1",
            day=day,
            seconds=4 * 3600,
        )
        ledger.watch_time_record(
            viewer_id=UserFactory().pk,
            creator_id=creator.pk,
            source="status:1",
            day=day,
            seconds=4 * 3600,
        )
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "LOG_FORMAT": "text",
        "BILLING_PAYOUT_MINIMUM": "100",
    }
    # Stripe answers each transfer half a second after making it: kill the batch in that window.
    fake.latency["POST /v1/transfers"] = 0.5
    first = _payout_command(env)
    wait_for(lambda: len(fake.transfers()) >= 3, timeout=60, what="three transfers")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    first.stdout.close()
    made_before_kill = len(fake.transfers())
    recorded = Payout.objects.filter(state="paid").count()
    assert recorded < made_before_kill, (
        "the kill should have fallen between a transfer and its record"
    )

    fake.latency.clear()
    second = _payout_command(env)
    output, _ = second.communicate(timeout=120)
    assert second.returncode == 0, output.decode()

    transfers = fake.transfers()
    assert len(transfers) == len(creators)
    assert sorted(t["transfer_group"] for t in transfers) == sorted(
        payouts.payout_key(c.pk, payouts.previous_month()) for c in creators
    )
    for creator in creators:
        payout = Payout.objects.get(creator=creator)
        assert payout.state == "paid"
        assert ledger.balance(creator.pk) == 0
        assert LedgerEntry.objects.filter(creator=creator, kind="payout").count() == 1

    again = _payout_command(env)
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output.decode()
    assert len(fake.transfers()) == len(creators)
    assert "already paid" in output.decode()
