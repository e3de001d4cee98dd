"""dj-stripe mirrors every event the fake emits: ``Event.process`` syncs each event's object
and fetches what it refers to from the fake, in Stripe's shapes, without an error.

The flows are driven through the module-level ``stripe`` library (which dj-stripe uses) and
the fake's controls; then every event is processed in order, twice (the second time
dj-stripe answers the stored Event), and dj-stripe's tables are checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from tests.fakestripe import FakeStripe

pytestmark = pytest.mark.django_db

# dj-stripe checks the key's format: (sk|rk|pk)_(test|live)_ and 24+ letters or digits.
KEY = "sk_test_agoraUnitTests0000000000000000"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeStripe]:
    with FakeStripe(deliver="manual") as fake:
        yield fake


@pytest.fixture
def fake(server: FakeStripe, settings: Any) -> Iterator[FakeStripe]:
    server.reset()
    settings.STRIPE_TEST_SECRET_KEY = KEY
    settings.STRIPE_LIVE_MODE = False
    settings.STRIPE_API_BASE = server.url
    saved = stripe.api_base, stripe.api_key, stripe.max_network_retries
    stripe.api_base, stripe.api_key, stripe.max_network_retries = server.url, KEY, 0
    yield server
    stripe.api_base, stripe.api_key, stripe.max_network_retries = saved


def assert_answered(fake: FakeStripe, since: int) -> None:
    """Every request to the fake after the first ``since`` was answered 200."""
    failed = [
        f"{r['method']} {r['path']} {r['status']}"
        for r in list(fake.requests)[since:]
        if r["status"] != 200
    ]
    assert not failed, "\n".join(failed)


def process_all(fake: FakeStripe) -> list[str]:
    """``Event.process`` on every event, in order, then again on each; the event types.

    Every API request dj-stripe made meanwhile must have been answered 200: dj-stripe
    treats a 404 ``resource_missing`` as "gone" and leaves the reference out silently.
    """
    from djstripe.models import Event

    events = fake.events()
    before = len(fake.requests)
    for event in events:
        processed = Event.process(event, api_key=KEY)
        assert processed.id == event["id"], event["type"]
    assert_answered(fake, before)
    requests = len(fake.requests)
    for event in events:
        again = Event.process(event, api_key=KEY)
        assert again.id == event["id"]
    assert len(fake.requests) == requests  # the stored Event is answered, nothing fetched
    assert Event.objects.count() == len(events)
    return [event["type"] for event in events]


def platform_subscription(fake: FakeStripe) -> dict[str, Any]:
    """Product, monthly price, customer, a paid subscription checkout, a failed then a paid
    renewal, ``cancel_at_period_end``, and the end (dunning cancels it)."""
    product = stripe.Product.create(name="Agora Pro")
    price = stripe.Price.create(
        product=product.id, unit_amount=500, currency="eur", recurring={"interval": "month"}
    )
    customer = stripe.Customer.create(email="ada@example.com", name="Ada")
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=customer.id,
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="https://agora.test/ok",
        cancel_url="https://agora.test/cancel",
    )
    done = fake.complete_checkout(session.id)
    sub_id = done["subscription"]["id"]
    fake.renew(sub_id, succeed=False)
    fake.renew(sub_id, succeed=True)
    stripe.Subscription.modify(sub_id, cancel_at_period_end=True)
    fake.expire(sub_id, status="canceled")
    return {"customer": customer.id, "subscription": sub_id, "price": price.id}


def test_platform_subscription_events_sync_into_djstripe(fake):
    from djstripe.models import (
        Charge,
        Customer,
        Invoice,
        PaymentIntent,
        PaymentMethod,
        Price,
        Product,
        Session,
        Subscription,
    )

    ids = platform_subscription(fake)

    types = process_all(fake)

    assert "invoice.payment_failed" in types
    assert "customer.subscription.deleted" in types
    customer = Customer.objects.get(id=ids["customer"])
    assert customer.email == "ada@example.com"
    sub = Subscription.objects.get(id=ids["subscription"])
    assert sub.status == "canceled"
    assert sub.customer == customer
    assert Price.objects.filter(id=ids["price"]).exists()
    assert Product.objects.count() == 1
    invoices = Invoice.objects.filter(customer=customer)
    assert invoices.count() == 2
    assert {inv.status for inv in invoices} == {"paid"}
    assert Charge.objects.filter(customer=customer).count() == 2
    assert PaymentIntent.objects.filter(customer=customer).count() == 2
    assert PaymentMethod.objects.filter(customer=customer).count() == 1
    assert Session.objects.count() == 1


def connect_flow(fake: FakeStripe) -> dict[str, Any]:
    """An express account onboarded, a fan's subscription to a creator (a destination charge
    with an application fee, on behalf of the creator), its first charge refunded in two
    parts, the renewal's charge disputed and lost, a transfer, a paid and a failed payout."""
    account = stripe.Account.create(
        type="express",
        country="US",
        email="creator@example.com",
        capabilities={"card_payments": {"requested": True}, "transfers": {"requested": True}},
    )
    link = stripe.AccountLink.create(
        account=account.id,
        type="account_onboarding",
        refresh_url="https://agora.test/again",
        return_url="https://agora.test/done",
    )
    assert link.url.endswith(f"/onboard/{account.id}")
    fake.onboard(account.id)
    product = stripe.Product.create(name="Creator tier")
    price = stripe.Price.create(
        product=product.id, unit_amount=1000, currency="usd", recurring={"interval": "month"}
    )
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer_email="fan@example.com",
        line_items=[{"price": price.id, "quantity": 1}],
        subscription_data={
            "application_fee_percent": 10,
            "transfer_data": {"destination": account.id},
            "on_behalf_of": account.id,
            "metadata": {"creator": "7"},
        },
        success_url="https://agora.test/ok",
    )
    done = fake.complete_checkout(session.id, name="Fan")
    charge_id = done["charge"]["id"]
    stripe.Refund.create(charge=charge_id, amount=300)
    stripe.Refund.create(charge=charge_id)
    renewal = fake.renew(done["subscription"]["id"])
    disputed = fake.dispute(renewal["charge"]["id"])
    fake.close_dispute(disputed["dispute"]["id"], outcome="lost")
    transfer = stripe.Transfer.create(amount=700, currency="usd", destination=account.id)
    paid = fake.payout(account.id, 700)
    failed = fake.payout(account.id, 200, outcome="failed")
    return {
        "account": account.id,
        "subscription": done["subscription"]["id"],
        "charge": charge_id,
        "renewal_charge": renewal["charge"]["id"],
        "dispute": disputed["dispute"]["id"],
        "transfer": transfer.id,
        "payouts": [paid["payout"]["id"], failed["payout"]["id"]],
    }


def test_connect_events_sync_into_djstripe(fake):
    from djstripe.models import (
        Account,
        ApplicationFee,
        Charge,
        Customer,
        Dispute,
        Event,
        Payout,
        Refund,
        Subscription,
        Transfer,
    )

    ids = connect_flow(fake)

    types = process_all(fake)

    assert {"account.updated", "charge.refunded", "charge.dispute.closed"} <= set(types)
    assert types.count("application_fee.created") == 2
    assert {"transfer.created", "payout.paid", "payout.failed"} <= set(types)
    synced = Account.objects.get(id=ids["account"])
    assert synced.charges_enabled
    assert Customer.objects.filter(email="fan@example.com").count() == 1
    sub = Subscription.objects.get(id=ids["subscription"])
    assert sub.application_fee_percent == 10
    charge = Charge.objects.get(id=ids["charge"])
    assert charge.stripe_data["amount_refunded"] == 1000  # dj-stripe's .amount is in units
    assert charge.refunded
    assert Refund.objects.filter(charge=charge).count() == 2
    # dj-stripe has no handler for application_fee.created: its sync command lists them.
    before = len(fake.requests)
    for fee in ApplicationFee.api_list(api_key=KEY):
        ApplicationFee.sync_from_stripe_data(fee, api_key=KEY)
    assert_answered(fake, before)
    fees = ApplicationFee.objects.filter(account=synced)
    assert sorted(fee.amount for fee in fees) == [100, 100]
    assert {fee.charge_id for fee in fees} == {ids["charge"], ids["renewal_charge"]}
    dispute = Dispute.objects.get(id=ids["dispute"])
    assert dispute.status == "lost"
    assert Transfer.objects.get(id=ids["transfer"]).stripe_data["destination"] == ids["account"]
    payouts = Payout.objects.filter(id__in=ids["payouts"])
    assert {p.status for p in payouts} == {"paid", "failed"}
    # The events name the connected account; the payouts were fetched with its
    # Stripe-Account header. (dj-stripe still records the platform as the payouts' owner:
    # _stripe_object_to_record turns the fetched object into a dict before
    # _find_owner_account reads its stripe_account.)
    owners = Event.objects.filter(type__startswith="payout.").values_list(
        "djstripe_owner_account_id", flat=True
    )
    assert set(owners) == {ids["account"]}


# Every event type the fake emits (a new one must join a flow here).
FAKE_EVENT_TYPES = {
    "account.updated",
    "application_fee.created",
    "billing_portal.session.created",
    "charge.dispute.closed",
    "charge.dispute.created",
    "charge.refunded",
    "charge.succeeded",
    "checkout.session.completed",
    "customer.created",
    "customer.subscription.created",
    "customer.subscription.deleted",
    "customer.subscription.updated",
    "customer.updated",
    "invoice.created",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.payment_succeeded",
    "payment_intent.payment_failed",
    "payment_intent.succeeded",
    "payout.failed",
    "payout.paid",
    "price.created",
    "price.updated",
    "product.created",
    "refund.created",
    "transfer.created",
    "transfer.reversed",
}


def test_every_event_type_the_fake_emits_syncs(fake):
    """Both flows and the rest: a one-time payment through Checkout (its card saved), a
    customer and a price updated, a portal session, a transfer reversed, a subscription
    canceled at once through the API, another left unpaid by dunning."""
    from djstripe.models import (
        Charge,
        Customer,
        PaymentIntent,
        PaymentMethod,
        Price,
        Subscription,
        Transfer,
    )

    platform = platform_subscription(fake)
    connect = connect_flow(fake)
    stripe.Customer.modify(platform["customer"], name="Ada L.", metadata={"user": "42"})
    stripe.Price.modify(platform["price"], nickname="Pro monthly")
    stripe.billing_portal.Session.create(
        customer=platform["customer"], return_url="https://agora.test/settings"
    )
    tip = stripe.Price.create(product_data={"name": "Tip"}, unit_amount=300, currency="eur")
    session = stripe.checkout.Session.create(
        mode="payment",
        customer=platform["customer"],
        line_items=[{"price": tip.id}],
        payment_intent_data={"setup_future_usage": "off_session"},
    )
    paid = fake.complete_checkout(session.id)
    stripe.Transfer.create_reversal(connect["transfer"], amount=200)
    product = stripe.Product.create(name="Agora Team")
    team = stripe.Price.create(
        product=product.id, unit_amount=2000, currency="eur", recurring={"interval": "year"}
    )
    subs = []
    for email in ("bo@example.com", "cy@example.com"):
        checkout = stripe.checkout.Session.create(
            mode="subscription", customer_email=email, line_items=[{"price": team.id}]
        )
        subs.append(fake.complete_checkout(checkout.id)["subscription"]["id"])
    stripe.Subscription.cancel(subs[0])
    fake.renew(subs[1], succeed=False)
    fake.expire(subs[1], status="unpaid")

    types = process_all(fake)

    assert set(types) == FAKE_EVENT_TYPES
    customer = Customer.objects.get(id=platform["customer"])
    assert customer.name == "Ada L."
    assert Price.objects.get(id=platform["price"]).nickname == "Pro monthly"
    pi = PaymentIntent.objects.get(id=paid["payment_intent"]["id"])
    assert pi.customer == customer
    assert Charge.objects.get(id=paid["charge"]["id"]).payment_method.customer == customer
    assert PaymentMethod.objects.filter(customer=customer).count() == 2
    assert Transfer.objects.get(id=connect["transfer"]).stripe_data["amount_reversed"] == 200
    statuses = {sub.id: sub.status for sub in Subscription.objects.filter(id__in=subs)}
    assert statuses == {subs[0]: "canceled", subs[1]: "unpaid"}
