"""Billing benchmark: Stripe webhook throughput, and a monthly payout batch.

Prints, measured in the same run:

1. webhook events processed per second, from the signature check to the committed
   state: ``customer.subscription.updated`` and ``invoice.payment_failed`` events for
   distinct subscriptions, signed with Stripe's scheme, each verified, stored,
   processed by the task (run in this process as the worker would) and committed —
   once through the service calls and once through Django's whole request handling
   (the webhook view, every middleware) — against the bare signature verification of
   the same payloads with the Stripe library, as a ratio;
2. a payout batch for N creators (10,000; ``--small``: 1,000), each onboarded at a
   fake Stripe (tests/fakestripe, a real HTTP server in this process) with ledger
   entries from last month: the batch's seconds and creators per second, against the
   bare Stripe Transfer calls for as many creators (the HTTP round trips it cannot
   avoid), as a ratio.

It creates the PostgreSQL database ``agora_billbench`` (migrates it: minutes the first
time) and drops it afterwards (``--keep-db`` keeps it)::

    .venv/bin/python bench/billing.py --small

``DATABASE_URL`` overrides the database (it is created and dropped by name, so point it
only at a scratch database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/agora_billbench"
os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.scratchdb import database_create, database_drop, database_name  # noqa: E402

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The processing task runs in this process right after the delivery commits: "signature
# check to committed state" without a broker in between.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ["EVENTS_RELAY_IN_PROCESS"] = "false"
# dj-stripe's copy is a task of its own after the state is committed: not measured here.
os.environ["BILLING_MIRROR_DJSTRIPE"] = "false"
# A fake Stripe's key and a webhook secret of this run's own (not secrets).
os.environ["STRIPE_TEST_SECRET_KEY"] = "sk_test_bench"  # noqa: S105
os.environ["DJSTRIPE_WEBHOOK_SECRET"] = "whsec_bench"  # noqa: S105

SIZES = {"small": (2_000, 1_000), "full": (10_000, 10_000)}
SECRET = "whsec_bench"  # noqa: S105


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


# Part 1: webhooks ------------------------------------------------------------------------


def accounts(count: int, prefix: str) -> list:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    unusable = "!"  # a password hash no password matches
    users = [User(username=f"{prefix}{i}", password=unusable) for i in range(count)]
    return User.objects.bulk_create(users, batch_size=2000)


def subscription_events(users, plan_price: str, *, start: int) -> list[bytes]:
    """For each account, its subscription going past due: the update and the failed invoice."""
    payloads = []
    for i, user in enumerate(users):
        sub = f"sub_bench_{user.pk}"
        customer = f"cus_bench_{user.pk}"
        subscription = {
            "id": sub,
            "object": "subscription",
            "customer": customer,
            "status": "past_due",
            "cancel_at_period_end": False,
            "metadata": {"agora_account_id": str(user.pk), "agora_kind": "platform"},
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": f"si_{i}",
                        "price": {"id": plan_price},
                        "current_period_end": start + 30 * 86400,
                    }
                ],
            },
        }
        invoice = {
            "id": f"in_bench_{user.pk}",
            "object": "invoice",
            "customer": customer,
            "amount_due": 500,
            "currency": "eur",
            "attempt_count": 1,
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"subscription": sub},
            },
        }
        for n, (kind, obj) in enumerate(
            (("customer.subscription.updated", subscription), ("invoice.payment_failed", invoice))
        ):
            event = {
                "id": f"evt_bench_{user.pk}_{n}",
                "object": "event",
                "api_version": "2026-08-26.dahlia",
                "created": start + 10 + n,
                "livemode": False,
                "type": kind,
                "data": {"object": obj},
            }
            payloads.append(json.dumps(event).encode())
    return payloads


def seed_subscriptions(users, plan, *, start: int) -> None:
    from apps.billing.models import Customer, Subscription

    Customer.objects.bulk_create(
        [Customer(account=user, stripe_id=f"cus_bench_{user.pk}") for user in users],
        batch_size=2000,
    )
    Subscription.objects.bulk_create(
        [
            Subscription(
                stripe_id=f"sub_bench_{user.pk}",
                account=user,
                plan=plan,
                stripe_price_id=plan.stripe_price_id,
                status="active",
                source_event_created=start,
                source_event_rank=1,
            )
            for user in users
        ],
        batch_size=2000,
    )


def webhooks(events_count: int) -> None:
    import stripe
    from django.db import reset_queries
    from django.test import Client

    from apps.billing import services
    from apps.billing.models import Plan, WebhookEvent
    from tests.fakestripe import sign

    plan = Plan.objects.create(
        tier="pro", name="Pro", stripe_price_id="price_bench", max_status_characters=5000
    )
    start = int(time.time()) - 3600
    half = events_count // 4  # two events per account, two runs
    service_users = accounts(half, "svc")
    view_users = accounts(half, "view")
    seed_subscriptions(service_users + view_users, plan, start=start)
    service_payloads = subscription_events(service_users, plan.stripe_price_id, start=start)
    view_payloads = subscription_events(view_users, plan.stripe_price_id, start=start)
    now = int(time.time())
    service_signed = [(p, sign(p, SECRET, timestamp=now)) for p in service_payloads]
    view_signed = [(p, sign(p, SECRET, timestamp=now)) for p in view_payloads]

    started = time.perf_counter()
    for payload, header in service_signed + view_signed:
        stripe.WebhookSignature.verify_header(payload, header, SECRET, 300)
    bare = rate(len(service_signed) + len(view_signed), time.perf_counter() - started)

    # The floor of durable work: verify, then one INSERT of the payload in its own commit.
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_floor (id bigserial PRIMARY KEY, payload jsonb)")
    started = time.perf_counter()
    for payload, header in service_signed:
        stripe.WebhookSignature.verify_header(payload, header, SECRET, 300)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_floor (payload) VALUES (%s)", [payload.decode()])
    floor = rate(len(service_signed), time.perf_counter() - started)

    started = time.perf_counter()
    for payload, header in service_signed:
        services.event_receive(payload=payload, signature=header)
    service_rate = rate(len(service_signed), time.perf_counter() - started)

    client = Client(HTTP_HOST="localhost")
    started = time.perf_counter()
    for payload, header in view_signed:
        response = client.post(
            "/api/agora/v1/billing/webhook",
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )
        assert response.status_code == 200, response.content
    view_rate = rate(len(view_signed), time.perf_counter() - started)
    reset_queries()

    processed = WebhookEvent.objects.filter(state="processed").count()
    assert processed == len(service_signed) + len(view_signed), f"only {processed} events processed"
    print(
        f"\n1. Webhook events ({len(service_signed):,} + {len(view_signed):,}: a subscription going past due)"
    )
    print(f"   bare signature verification      {bare:10,.0f} events/s")
    print(
        f"   verify + one durable INSERT      {floor:10,.0f} events/s   (the floor of storing each event)"
    )
    print(
        f"   Agora, service calls             {service_rate:10,.0f} events/s   ({bare / service_rate:,.0f}x the bare check's cost)"
    )
    print(
        f"   Agora, through the webhook view  {view_rate:10,.0f} events/s   ({bare / view_rate:,.0f}x)"
    )
    print(
        "   (each: verify, store, process in the task, commit; the state, notice and outbox rows written)"
    )


# Part 2: payouts ------------------------------------------------------------------------


def payouts_batch(creators_count: int) -> None:
    import stripe
    from django.conf import settings
    from django.test.utils import override_settings

    from apps.billing.models import ConnectAccount, LedgerEntry, Payout
    from apps.billing.services import payouts
    from tests.fakestripe import FakeStripe

    fake = FakeStripe(deliver="manual").start()
    try:
        with override_settings(
            STRIPE_API_BASE=fake.url, STRIPE_IS_CONFIGURED=True, BILLING_PAYOUT_MINIMUM=100
        ):
            from apps.billing import stripe_api

            stripe_api._client.cache_clear()
            client = stripe.StripeClient("sk_test_bench", base_addresses={"api": fake.url})
            started = time.perf_counter()
            creators = accounts(creators_count, "creator")
            baseline_accounts = []
            for creator in creators:
                account = client.v1.accounts.create({"type": "express"})
                fake.onboard(account.id)
                baseline_accounts.append(client.v1.accounts.create({"type": "express"}).id)
                fake.onboard(baseline_accounts[-1])
                ConnectAccount.objects.create(
                    account=creator,
                    stripe_id=account.id,
                    charges_enabled=True,
                    payouts_enabled=True,
                    details_submitted=True,
                )
            day = dt.datetime.combine(
                payouts.previous_month() + dt.timedelta(days=5), dt.time(12), tzinfo=dt.UTC
            )
            entries = []
            for creator in creators:
                for kind, amount in (
                    ("watch_time", 1500),
                    ("subscription", 900),
                    ("charge_transfer", -900),
                    ("refund", -200),
                ):
                    entries.append(
                        LedgerEntry(
                            creator=creator,
                            kind=kind,
                            amount=amount,
                            currency=settings.BILLING_CURRENCY,
                            occurred_at=day,
                            description=kind,
                            source=f"bench:{creator.pk}:{kind}",
                        )
                    )
            LedgerEntry.objects.bulk_create(entries, batch_size=5000)
            print(
                f"\n2. Payout batch: {creators_count:,} creators onboarded at the fake Stripe, "
                f"{len(entries):,} ledger entries (set up in {time.perf_counter() - started:.0f} s)"
            )

            started = time.perf_counter()
            for i, destination in enumerate(baseline_accounts):
                client.v1.transfers.create(
                    {
                        "amount": 1300,
                        "currency": "eur",
                        "destination": destination,
                        "transfer_group": f"base-{i}",
                    },
                    {"idempotency_key": f"base-{i}"},
                )
            bare_seconds = time.perf_counter() - started

            started = time.perf_counter()
            report = payouts.payout_batch_run()
            batch_seconds = time.perf_counter() - started
            assert report.paid == creators_count, report
            assert Payout.objects.filter(state="paid").count() == creators_count

            started = time.perf_counter()
            rerun = payouts.payout_batch_run()
            rerun_seconds = time.perf_counter() - started
            assert rerun.paid == 0, rerun
            assert rerun.already_paid == creators_count, rerun
            transfers = len(fake.transfers()) - len(baseline_accounts)
            assert transfers == creators_count, transfers

            print(
                f"   bare Stripe transfers            {bare_seconds:8.1f} s   {rate(creators_count, bare_seconds):8,.0f} creators/s"
            )
            print(
                f"   Agora's batch                    {batch_seconds:8.1f} s   {rate(creators_count, batch_seconds):8,.0f} creators/s"
                f"   ({batch_seconds / bare_seconds:.2f}x the bare transfers)"
            )
            print(
                f"   the same batch run again         {rerun_seconds:8.1f} s   (paid nothing: {transfers:,} transfers in all)"
            )
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", action="store_true", help="2,000 events and 1,000 creators")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    options = parser.parse_args()
    events_count, creators_count = SIZES["small" if options.small else "full"]

    database_create()
    import django

    django.setup()
    from django.core.management import call_command

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"database {database_name()} migrated in {time.perf_counter() - started:.0f} s")
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"{os.cpu_count()} cores; load average before measuring: {load}")
        webhooks(events_count)
        payouts_batch(creators_count)
    finally:
        if not options.keep_db:
            database_drop()


if __name__ == "__main__":
    main()
