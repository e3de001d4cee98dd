"""The fake Stripe server, driven through the real ``stripe`` library (no mocks)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import stripe

from tests.fakestripe import API_VERSION, FakeStripe, sign
from tests.fakestripe.forms import encode_form, parse_form

REPO = Path(__file__).resolve().parents[2]
KEY = "sk_test_fakestripe"


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[FakeStripe]:
    with FakeStripe(deliver="manual") as fake:
        yield fake


@pytest.fixture
def fake(server: FakeStripe) -> FakeStripe:
    server.reset()
    return server


@pytest.fixture
def client(fake: FakeStripe) -> stripe.StripeClient:
    return stripe.StripeClient(KEY, base_addresses={"api": fake.url}, max_network_retries=0)


def http(
    fake: FakeStripe,
    method: str,
    path: str,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A raw request to the fake: (status, JSON body, headers)."""
    body = urllib.parse.urlencode(encode_form(params or {})).encode() if method == "POST" else None
    request = urllib.request.Request(  # noqa: S310 (the local fake)
        f"{fake.url}{path}", data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read()), dict(exc.headers)


def subscription_checkout(client: stripe.StripeClient, **session: Any) -> tuple[Any, Any]:
    """A product, a monthly price and an open subscription Checkout Session for it."""
    product = client.v1.products.create(params={"name": "Agora Pro"})
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": 900,
            "currency": "usd",
            "recurring": {"interval": "month"},
            "lookup_key": "pro_monthly",
        }
    )
    params: Any = {
        "mode": "subscription",
        "line_items": [{"price": price.id, "quantity": 2}],
        "customer_email": "ada@example.com",
        "client_reference_id": "user-42",
        "success_url": "https://agora.test/billing/ok?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://agora.test/billing/cancel",
        **session,
    }
    return price, client.v1.checkout.sessions.create(params=params)


def subscribed(client: stripe.StripeClient, fake: FakeStripe, **session: Any) -> dict[str, Any]:
    """A completed subscription checkout: the control's answer."""
    _, checkout = subscription_checkout(client, **session)
    return fake.complete_checkout(checkout.id)


def types_of(fake: FakeStripe, event_ids: list[str]) -> list[str]:
    by_id = {event["id"]: event for event in fake.events()}
    return [by_id[event_id]["type"] for event_id in event_ids]


# -- form encoding --------------------------------------------------------------------------


def test_parse_form_nests_brackets_into_dicts_and_lists():
    parsed = parse_form(
        "line_items[0][price]=price_1&line_items[0][quantity]=2&line_items[1][price]=price_2"
        "&metadata[plan]=pro&subscription_data[application_fee_percent]=10"
        "&subscription_data[transfer_data][destination]=acct_1&expand[]=a&expand[]=b.c&mode=subscription"
    )
    assert parsed == {
        "line_items": [{"price": "price_1", "quantity": "2"}, {"price": "price_2"}],
        "metadata": {"plan": "pro"},
        "subscription_data": {
            "application_fee_percent": "10",
            "transfer_data": {"destination": "acct_1"},
        },
        "expand": ["a", "b.c"],
        "mode": "subscription",
    }
    assert parse_form(urllib.parse.urlencode(encode_form(parsed))) == parsed


# -- products, prices, checkout, subscriptions ------------------------------------------------------


def test_checkout_completes_into_an_active_subscription_with_stripes_event_sequence(client, fake):
    account = client.v1.accounts.create(params={"type": "express", "country": "US"})
    fake.onboard(account.id)
    price, checkout = subscription_checkout(
        client,
        metadata={"user": "42"},
        subscription_data={
            "metadata": {"user": "42", "plan": "pro"},
            "application_fee_percent": 10,
            "transfer_data": {"destination": account.id},
            "on_behalf_of": account.id,
        },
    )
    assert checkout.id.startswith("cs_test_")
    assert (checkout.status, checkout.payment_status) == ("open", "unpaid")
    assert checkout.url == f"{fake.url}/pay/{checkout.id}"
    assert checkout.amount_total == 1800
    assert price.type == "recurring"
    assert price.lookup_key == "pro_monthly"
    before = len(fake.events())

    done = fake.complete_checkout(checkout.id)

    assert types_of(fake, done["events"]) == [
        "customer.created",
        "customer.subscription.created",
        "invoice.created",
        "invoice.paid",
        "invoice.payment_succeeded",
        "payment_intent.succeeded",
        "charge.succeeded",
        "application_fee.created",
        "checkout.session.completed",
    ]
    assert [event["id"] for event in fake.events()[before:]] == done["events"]
    session = client.v1.checkout.sessions.retrieve(checkout.id, params={"expand": ["line_items"]})
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert session.customer == done["customer"]["id"]
    assert session.subscription == done["subscription"]["id"]
    assert session.line_items.data[0].price.id == price.id

    sub = client.v1.subscriptions.retrieve(
        session.subscription, params={"expand": ["latest_invoice"]}
    )
    assert sub.id.startswith("sub_")
    assert sub.status == "active"
    assert sub.metadata.to_dict() == {"user": "42", "plan": "pro"}
    assert sub.application_fee_percent == 10
    assert sub.transfer_data.destination == account.id
    assert sub.on_behalf_of == account.id
    (item,) = sub["items"].data
    assert item.id.startswith("si_")
    assert item.price.id == price.id
    assert item.quantity == 2
    assert item.current_period_end - item.current_period_start >= 28 * 86_400
    invoice = sub.latest_invoice
    assert invoice.status == "paid"
    assert invoice.amount_paid == 1800
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.lines.data[0].pricing.price_details.price == price.id
    (payment,) = invoice.payments.data
    pi = client.v1.payment_intents.retrieve(payment.payment.payment_intent)
    assert pi.status == "succeeded"
    assert pi.amount_received == 1800
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.paid
    assert charge.amount == 1800
    assert charge.application_fee_amount == 180
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount, fee.account, fee.originating_transaction) == (180, account.id, charge.id)
    card = client.v1.payment_methods.retrieve(charge.payment_method)
    assert (card.type, card.card.last4, card.customer) == ("card", "4242", sub.customer)
    assert sub.default_payment_method == card.id
    txn = client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert (txn.amount, txn.fee, txn.net, txn.source) == (1800, 82, 1718, charge.id)
    assert charge.transfer_data.destination == account.id
    assert charge.on_behalf_of == account.id
    customer = client.v1.customers.retrieve(sub.customer)
    assert customer.email == "ada@example.com"

    event = client.v1.events.retrieve(done["events"][1])
    assert event.api_version == API_VERSION
    assert event.data.object.id == sub.id
    code, body, _ = http(fake, "POST", f"/_fake/checkout/{checkout.id}/complete")  # twice
    assert code == 400
    assert body["error"]["type"] == "invalid_request_error"


def test_checkout_rejects_unknown_prices_and_missing_params(client):
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.checkout.sessions.create(
            params={"mode": "subscription", "line_items": [{"price": "price_nope", "quantity": 1}]}
        )
    assert unknown.value.param == "line_items[0][price]"
    assert unknown.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.checkout.sessions.create(params={"line_items": [{"price": "price_nope"}]})
    assert missing.value.param == "mode"


def test_payment_mode_checkout_makes_a_payment_without_subscription(client, fake):
    product = client.v1.products.create(params={"name": "Tip"})
    price = client.v1.prices.create(
        params={"product": product.id, "unit_amount": 300, "currency": "eur"}
    )
    checkout = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": price.id}],
            "customer_email": "bo@example.com",
        }
    )
    done = fake.complete_checkout(checkout.id)
    assert types_of(fake, done["events"]) == [
        "payment_intent.succeeded",
        "charge.succeeded",
        "checkout.session.completed",
    ]
    session = client.v1.checkout.sessions.retrieve(checkout.id)
    assert session.subscription is None
    assert session.customer_details.email == "bo@example.com"
    assert client.v1.payment_intents.retrieve(session.payment_intent).amount == 300


def test_module_level_api_with_api_base(fake, monkeypatch):
    monkeypatch.setattr(stripe, "api_key", KEY)
    monkeypatch.setattr(stripe, "api_base", fake.url)
    customer = stripe.Customer.create(email="mod@example.com", metadata={"user": "7"})
    assert customer.id.startswith("cus_")
    assert customer.livemode is False
    assert stripe.Customer.retrieve(customer.id).to_dict()["metadata"] == {"user": "7"}
    assert [c.id for c in stripe.Customer.list(email="mod@example.com")] == [customer.id]


def test_portal_session_needs_an_existing_customer(client, fake):
    customer = client.v1.customers.create(params={"email": "p@example.com"})
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "return_url": "https://agora.test/settings"}
    )
    assert portal.id.startswith("bps_")
    assert portal.url == f"{fake.url}/portal/{portal.id}"
    with urllib.request.urlopen(portal.url, timeout=5) as page:  # noqa: S310
        assert page.status == 200
        assert b"https://agora.test/settings" in page.read()
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.billing_portal.sessions.create(params={"customer": "cus_missing"})
    assert missing.value.param == "customer"
    assert missing.value.code == "resource_missing"


def test_cancel_at_period_end_emits_updated_with_previous_attributes(client, fake):
    sub_id = subscribed(client, fake)["subscription"]["id"]
    sub = client.v1.subscriptions.update(
        sub_id, params={"cancel_at_period_end": True, "metadata": {"why": "cost"}}
    )
    assert sub.cancel_at_period_end
    assert sub.cancel_at == sub["items"].data[0].current_period_end
    (event,) = fake.events("customer.subscription.updated")
    previous = event["data"]["previous_attributes"]
    assert previous["cancel_at_period_end"] is False
    assert previous["cancel_at"] is None
    assert previous["metadata"] == {"why": None}
    assert event["request"]["id"].startswith("req_")
    assert event["request"]["idempotency_key"]

    done = fake.renew(sub_id)  # the period ends: canceled instead of renewed
    assert types_of(fake, done["events"]) == ["customer.subscription.deleted"]
    assert client.v1.subscriptions.retrieve(sub_id).status == "canceled"


def test_failed_renewal_goes_past_due_and_a_retry_brings_it_back(client, fake):
    sub_id = subscribed(client, fake)["subscription"]["id"]
    first_end = client.v1.subscriptions.retrieve(sub_id)["items"].data[0].current_period_end

    failed = fake.renew(sub_id, succeed=False)
    assert types_of(fake, failed["events"]) == [
        "invoice.created",
        "invoice.payment_failed",
        "payment_intent.payment_failed",
        "customer.subscription.updated",
    ]
    sub = client.v1.subscriptions.retrieve(sub_id)
    assert sub.status == "past_due"
    assert sub["items"].data[0].current_period_start == first_end
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.status == "open"
    assert invoice.attempt_count == 1
    assert invoice.next_payment_attempt
    assert invoice.billing_reason == "subscription_cycle"
    updated = fake.events("customer.subscription.updated")[-1]
    assert updated["data"]["previous_attributes"]["status"] == "active"

    again = fake.renew(sub_id, succeed=False)
    assert types_of(fake, again["events"]) == [
        "invoice.payment_failed",
        "payment_intent.payment_failed",
    ]
    assert client.v1.invoices.retrieve(invoice.id).attempt_count == 2

    paid = fake.renew(sub_id, succeed=True)
    assert types_of(fake, paid["events"])[-1] == "customer.subscription.updated"
    assert "invoice.payment_succeeded" in types_of(fake, paid["events"])
    assert (
        fake.events("customer.subscription.updated")[-1]["data"]["previous_attributes"]["status"]
        == "past_due"
    )
    assert client.v1.subscriptions.retrieve(sub_id).status == "active"
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"
    invoices = client.v1.invoices.list(params={"subscription": sub_id, "expand": ["data.customer"]})
    assert [i.billing_reason for i in invoices.data] == [
        "subscription_cycle",
        "subscription_create",
    ]
    assert invoices.data[0].customer.email == "ada@example.com"


@pytest.mark.parametrize(
    ("status", "event_type"),
    [("canceled", "customer.subscription.deleted"), ("unpaid", "customer.subscription.updated")],
)
def test_expire_ends_the_subscription_as_dunning_would(client, fake, status, event_type):
    sub_id = subscribed(client, fake)["subscription"]["id"]
    fake.renew(sub_id, succeed=False)
    code, body, _ = http(fake, "POST", f"/_fake/subscriptions/{sub_id}/expire", {"status": status})
    assert code == 200
    assert types_of(fake, body["events"]) == [event_type]
    assert client.v1.subscriptions.retrieve(sub_id).status == status
    listed = client.v1.subscriptions.list(params={"status": "all"}).data
    assert [s.id for s in listed] == [sub_id]


def test_delete_cancels_now(client, fake):
    sub_id = subscribed(client, fake)["subscription"]["id"]
    sub = client.v1.subscriptions.cancel(sub_id)
    assert sub.status == "canceled"
    assert sub.ended_at
    assert fake.events()[-1]["type"] == "customer.subscription.deleted"
    assert client.v1.subscriptions.list().data == []  # canceled ones only with status=


# -- refunds and disputes -----------------------------------------------------------------------


def test_refunds_partial_then_rest(client, fake):
    charge_id = subscribed(client, fake)["charge"]["id"]
    refund = client.v1.refunds.create(params={"charge": charge_id, "amount": 500})
    assert refund.id.startswith("re_")
    assert refund.status == "succeeded"
    assert refund.amount == 500
    refunded = fake.events("charge.refunded")[-1]
    assert refunded["data"]["object"]["amount_refunded"] == 500
    assert refunded["data"]["previous_attributes"]["amount_refunded"] == 0
    assert fake.events()[-1]["type"] == "refund.created"

    pi = client.v1.charges.retrieve(charge_id).payment_intent
    client.v1.refunds.create(params={"payment_intent": pi})
    charge = client.v1.charges.retrieve(charge_id)
    assert charge.amount_refunded == 1800
    assert charge.refunded
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"charge": charge_id})
    assert again.value.code == "charge_already_refunded"


def test_dispute_is_created_then_closed(client, fake):
    charge_id = subscribed(client, fake)["charge"]["id"]
    code, opened, _ = http(
        fake, "POST", f"/_fake/charges/{charge_id}/dispute", {"reason": "product_not_received"}
    )
    assert code == 200
    dispute = client.v1.disputes.retrieve(opened["dispute"]["id"])
    assert dispute.id.startswith("dp_")
    assert dispute.status == "needs_response"
    assert dispute.amount == 1800
    assert types_of(fake, opened["events"]) == ["charge.dispute.created"]
    closed = fake.close_dispute(dispute.id, "lost")
    assert types_of(fake, closed["events"]) == ["charge.dispute.closed"]
    assert fake.events("charge.dispute.closed")[0]["data"]["object"]["status"] == "lost"
    assert client.v1.disputes.retrieve(dispute.id).status == "lost"


# -- what dj-stripe fetches while it syncs -------------------------------------------------------


def test_related_objects_are_served_as_stripe_shapes_them(client, fake):
    done = subscribed(client, fake)
    customer, sub = done["customer"]["id"], done["subscription"]
    invoice, charge = done["invoice"], done["charge"]
    (card,) = client.v1.payment_methods.list(params={"customer": customer, "type": "card"}).data
    assert card.id == sub["default_payment_method"] == charge["payment_method"]
    assert card.customer == customer
    assert card.card.brand == charge["payment_method_details"]["card"]["brand"]
    assert [pm.id for pm in client.v1.customers.payment_methods.list(customer).data] == [card.id]
    assert client.v1.customers.payment_methods.retrieve(customer, card.id).id == card.id
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_methods.retrieve("pm_missing")
    assert missing.value.code == "resource_missing"

    (line,) = client.v1.invoices.line_items.list(invoice["id"]).data
    assert line.id == invoice["lines"]["data"][0]["id"]
    (item,) = client.v1.subscription_items.list(params={"subscription": sub["id"]}).data
    assert client.v1.subscription_items.retrieve(item.id).price.id == item.price.id
    assert client.v1.customers.tax_ids.list(customer).data == []

    refund = client.v1.refunds.create(params={"charge": charge["id"], "amount": 800})
    assert [r.id for r in client.v1.charges.retrieve(charge["id"]).refunds.data] == [refund.id]
    txn = client.v1.balance_transactions.retrieve(refund.balance_transaction)
    assert (txn.type, txn.amount, txn.fee, txn.source) == ("refund", -800, 0, refund.id)
    disputed = fake.dispute(charge["id"], amount=1000)["dispute"]
    (withdrawal,) = client.v1.disputes.retrieve(disputed["id"]).balance_transactions
    assert (withdrawal.type, withdrawal.amount, withdrawal.fee) == ("adjustment", -1000, 1500)
    fetched = client.v1.balance_transactions.retrieve(withdrawal.id)
    assert fetched.reporting_category == "dispute"
    assert fetched.source == disputed["id"]
    assert client.v1.application_fees.list().data == []  # no Connect, no fee

    account = client.v1.accounts.create(params={"type": "express"})
    fake.onboard(account.id)
    transfer = client.v1.transfers.create(
        params={"amount": 500, "currency": "usd", "destination": account.id}
    )
    txn = client.v1.balance_transactions.retrieve(transfer.balance_transaction)
    assert (txn.type, txn.amount, txn.net) == ("transfer", -500, -500)
    payout = fake.payout(account.id, 300, outcome="failed")["payout"]
    with pytest.raises(stripe.InvalidRequestError):  # the payout is the account's
        client.v1.balance_transactions.retrieve(payout["balance_transaction"])
    options = {"stripe_account": account.id}
    failure = client.v1.balance_transactions.retrieve(
        payout["failure_balance_transaction"], options=options
    )
    assert (failure.type, failure.amount, failure.source) == ("payout_failure", 300, payout["id"])
    listed = client.v1.balance_transactions.list(params={"source": payout["id"]}, options=options)
    assert sorted(t.type for t in listed.data) == ["payout", "payout_failure"]


# -- Connect ------------------------------------------------------------------------------------


def test_connect_account_link_onboarding_and_payouts(client, fake):
    account = client.v1.accounts.create(
        params={
            "type": "express",
            "country": "US",
            "email": "creator@example.com",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"user": "9"},
        }
    )
    assert account.id.startswith("acct_")
    assert not (account.charges_enabled)
    assert not (account.payouts_enabled)
    assert not (account.details_submitted)
    assert account.requirements.currently_due
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": "https://agora.test/connect/refresh",
            "return_url": "https://agora.test/connect/done",
            "type": "account_onboarding",
        }
    )
    assert link.url == f"{fake.url}/onboard/{account.id}"
    assert link.expires_at > link.created

    code, body, _ = http(fake, "POST", f"/_fake/accounts/{account.id}/onboard")
    assert code == 200
    (updated,) = fake.events("account.updated")
    assert updated["account"] == account.id
    assert updated["id"] == body["events"][0]
    assert updated["data"]["previous_attributes"]["payouts_enabled"] is False
    account = client.v1.accounts.retrieve(account.id)
    assert account.charges_enabled
    assert account.payouts_enabled
    assert account.details_submitted
    assert account.requirements.currently_due == []

    paid = fake.payout(account.id, 1200)
    failed = http(
        fake, "POST", "/_fake/payouts", {"account": account.id, "amount": 50, "outcome": "failed"}
    )[1]
    assert [e["type"] for e in fake.events("payout.*")] == ["payout.paid", "payout.failed"]
    assert {e["account"] for e in fake.events("payout.*")} == {account.id}
    payout = client.v1.payouts.retrieve(
        paid["payout"]["id"], options={"stripe_account": account.id}
    )
    assert payout.status == "paid"
    assert payout.amount == 1200
    assert failed["payout"]["failure_code"] == "account_closed"
    with pytest.raises(stripe.InvalidRequestError):  # it lives on the connected account
        client.v1.payouts.retrieve(paid["payout"]["id"])


def test_transfer_idempotency_key_replays_and_rejects_other_params(client, fake):
    account = client.v1.accounts.create(params={"type": "express"})
    fake.onboard(account.id)
    params = {
        "amount": 700,
        "currency": "usd",
        "destination": account.id,
        "transfer_group": "payout-1",
    }
    first = client.v1.transfers.create(params=params, options={"idempotency_key": "payout-1"})
    second = client.v1.transfers.create(params=params, options={"idempotency_key": "payout-1"})
    assert first.id == second.id
    assert first.id.startswith("tr_")
    assert second.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(fake.transfers()) == 1
    assert len(http(fake, "GET", "/_fake/transfers")[1]["data"]) == 1
    assert len(fake.events("transfer.created")) == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.transfers.create(
            params={**params, "amount": 701}, options={"idempotency_key": "payout-1"}
        )
    other = client.v1.transfers.create(params=params, options={"idempotency_key": "payout-2"})
    assert other.id != first.id
    assert len(fake.transfers()) == 2
    listed = client.v1.transfers.list(
        params={"destination": account.id, "transfer_group": "payout-1"}
    )
    assert [t.id for t in listed.data] == [other.id, first.id]
    reversal = client.v1.transfers.reversals.create(first.id, params={"amount": 200})
    assert reversal.amount == 200
    assert client.v1.transfers.retrieve(first.id).amount_reversed == 200


def test_transfer_to_an_account_not_onboarded_is_refused(client, fake):
    account = client.v1.accounts.create(params={"type": "express"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(
            params={"amount": 100, "currency": "usd", "destination": account.id}
        )
    assert refused.value.param == "destination"
    with pytest.raises(stripe.InvalidRequestError) as negative:
        client.v1.transfers.create(
            params={"amount": 0, "currency": "usd", "destination": account.id}
        )
    assert negative.value.param == "amount"
    assert fake.transfers() == []


def test_objects_made_with_stripe_account_live_on_that_account(client, fake):
    account = client.v1.accounts.create(params={"type": "standard"})
    customer = client.v1.customers.create(
        params={"email": "c@example.com"}, options={"stripe_account": account.id}
    )
    (created,) = fake.events("customer.created")
    assert created["account"] == account.id
    assert (
        client.v1.customers.retrieve(customer.id, options={"stripe_account": account.id}).id
        == customer.id
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve(customer.id)
    assert client.v1.events.list().data == []  # the platform's own events only
    assert (
        client.v1.events.list(options={"stripe_account": account.id}).data[0].account == account.id
    )


# -- protocol: errors, auth, lists ----------------------------------------------------------------


def test_errors_raise_the_librarys_classes(client, fake):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.subscriptions.retrieve("sub_x")
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"
    assert missing.value.user_message == "No such subscription: 'sub_x'"
    with pytest.raises(stripe.InvalidRequestError) as no_name:
        client.v1.products.create(params={})
    assert no_name.value.http_status == 400
    assert no_name.value.param == "name"
    live = stripe.StripeClient(
        "sk_live_nope", base_addresses={"api": fake.url}, max_network_retries=0
    )
    with pytest.raises(stripe.AuthenticationError):
        live.v1.customers.list()
    code, body, _ = http(fake, "GET", "/v1/customers")
    assert code == 401
    assert body["error"]["type"] == "invalid_request_error"


def test_lists_paginate_newest_first(client):
    ids = [client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(25)]
    page = client.v1.customers.list(params={"limit": 10})
    assert [c.id for c in page.data] == ids[::-1][:10]
    assert page.has_more
    assert page.url == "/v1/customers"
    after = client.v1.customers.list(params={"limit": 10, "starting_after": page.data[-1].id})
    assert [c.id for c in after.data] == ids[::-1][10:20]
    before = client.v1.customers.list(params={"limit": 5, "ending_before": after.data[0].id})
    assert [c.id for c in before.data] == ids[::-1][5:10]
    assert before.has_more
    assert [c.id for c in page.auto_paging_iter()] == ids[::-1]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.list(params={"limit": 101})
    events = client.v1.events.list(params={"types": ["customer.created"], "limit": 100})
    assert len(events.data) == 25
    newest = events.data[0].created
    assert client.v1.events.list(params={"created": {"gt": newest}}).data == []
    assert client.v1.events.list(params={"created": {"gte": newest}, "type": "customer.*"}).data


def test_concurrent_requests_with_one_idempotency_key_make_one_transfer(client, fake):
    account = client.v1.accounts.create(params={"type": "express"})
    fake.onboard(account.id)
    params = {"amount": 250, "currency": "usd", "destination": account.id}
    ids: list[str] = []

    def send() -> None:
        ids.append(
            client.v1.transfers.create(params=params, options={"idempotency_key": "race"}).id
        )

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    assert len(ids) == 8
    assert len(fake.transfers()) == 1


# -- webhooks -----------------------------------------------------------------------------------


class Receiver:
    """A local webhook endpoint: records (body, headers) and answers ``statuses`` in turn, then 200."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200:
                    receiver.received.append((body, dict(self.headers)))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/stripe/webhook"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_auto_delivery_posts_signed_events_in_order_and_retries():
    receiver = Receiver(statuses=[500])  # the first attempt fails
    secret = "whsec_test_receiver"
    try:
        with FakeStripe(
            webhook_url=receiver.url, webhook_secret=secret, webhook_backoff=0.01
        ) as fake:
            client = stripe.StripeClient(
                KEY, base_addresses={"api": fake.url}, max_network_retries=0
            )
            subscribed(client, fake)
            assert fake.flush_webhooks(5)
            events = fake.events()
            deliveries = fake.deliveries()
    finally:
        receiver.close()
    assert [json.loads(body)["id"] for body, _ in receiver.received] == [e["id"] for e in events]
    for body, headers in receiver.received:
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert headers["User-Agent"] == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
        assert stripe.WebhookSignature.verify_header(body, headers["Stripe-Signature"], secret, 300)
        event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], secret)
        assert event.object == "event"
        assert event.livemode is False
    assert [(d["event"], d["attempt"], d["status"]) for d in deliveries[:2]] == [
        (events[0]["id"], 1, 500),
        (events[0]["id"], 2, 200),
    ]
    assert all(d["status"] == 200 for d in deliveries[2:])


def test_manual_mode_sends_nothing_until_asked(client, fake):
    subscribed(client, fake)
    assert fake.deliveries() == []
    receiver = Receiver()
    try:
        event = fake.events("checkout.session.completed")[0]
        assert fake.send_event(event["id"], receiver.url) == 200
    finally:
        receiver.close()
    ((body, headers),) = receiver.received
    assert body == fake.event_payload(event["id"])
    stripe.WebhookSignature.verify_header(
        body, headers["Stripe-Signature"], fake.webhook_secret, 300
    )


def test_sign_matches_the_library_and_stale_signatures_fail():
    payload = json.dumps({"id": "evt_1", "object": "event"})
    assert stripe.WebhookSignature.verify_header(payload, sign(payload, "whsec_a"), "whsec_a", 300)
    assert stripe.WebhookSignature.verify_header(
        payload.encode(), sign(payload.encode(), "whsec_a"), "whsec_a"
    )
    stale = sign(payload, "whsec_a", timestamp=int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(payload, stale, "whsec_a", 300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(payload, sign(payload, "whsec_other"), "whsec_a", 300)


# -- hosted pages, controls, process -------------------------------------------------------------------


def test_pay_page_completes_and_redirects_to_success_url(client, fake):
    _, checkout = subscription_checkout(client)
    with urllib.request.urlopen(checkout.url, timeout=5) as page:  # noqa: S310
        assert page.status == 200
        assert b"<form" in page.read()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(
            urllib.request.Request(checkout.url, data=b"email=ada%40example.com", method="POST"),  # noqa: S310
            timeout=5,
        )
    with redirect.value:
        assert redirect.value.code == 303
        assert (
            redirect.value.headers["Location"]
            == f"https://agora.test/billing/ok?session={checkout.id}"
        )
    assert client.v1.checkout.sessions.retrieve(checkout.id).status == "complete"


def test_state_counts_and_reset(client, fake):
    subscribed(client, fake)
    code, state, _ = http(fake, "GET", "/_fake/state")
    counts = state["counts"]
    assert code == 200
    assert counts["subscription"] == 1
    assert counts["invoice"] == 1
    assert counts["event"] == 10
    assert http(fake, "POST", "/_fake/reset")[0] == 200
    assert fake.state() == {"event": 0}
    assert fake.events() == []


def test_runs_as_its_own_process():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakestripe", "--port", "0", "--deliver", "manual"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        client = stripe.StripeClient(KEY, base_addresses={"api": url}, max_network_retries=0)
        product = client.v1.products.create(params={"name": "Subprocess"})
        assert client.v1.products.retrieve(product.id).name == "Subprocess"
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=5)
    assert process.returncode == 0, stderr


def test_latency_delays_the_answer_after_the_work_is_done():
    with FakeStripe(deliver="manual", latency={"POST /v1/customers": 0.3}) as fake:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": fake.url})
        started = time.monotonic()
        client.v1.customers.create({"name": "slow"})
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        client.v1.customers.list()
        assert time.monotonic() - started < 0.3
