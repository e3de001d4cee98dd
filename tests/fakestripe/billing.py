"""Building Stripe's billing objects: customers, subscriptions, invoices, payments, charges.

Shared by the API handlers (:mod:`.api`) and the test controls (:mod:`.controls`). Shapes
follow API version 2026-08-26.dahlia (a subscription's period on its items, an invoice's
subscription under ``parent.subscription_details``, its payments under ``payments``); a
few older top-level fields are kept beside them (``subscription.current_period_*``,
``invoice.subscription``, ``invoice.payment_intent``, ``charge.invoice``).
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
from typing import Any

from .state import JSON, Context, Store, new_id

DAY = 86_400
# The platform's Connect application (``application`` of its application fees).
CONNECT_APPLICATION = "ca_fakestripe_platform"
DECLINE = {
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
    "type": "card_error",
}
CARD = {
    "brand": "visa",
    "country": "US",
    "exp_month": 12,
    "exp_year": 2034,
    "funding": "credit",
    "last4": "4242",
    "network": "visa",
}


def add_interval(timestamp: int, interval: str, count: int = 1) -> int:
    """``timestamp`` moved on by ``count`` × ``interval`` (day, week, month, year), in UTC."""
    if interval == "day":
        return timestamp + count * DAY
    if interval == "week":
        return timestamp + count * 7 * DAY
    start = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    months = count * (12 if interval == "year" else 1)
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def payment_method(store: Store, owner: str | None, cust: JSON | None, *, attach: bool) -> JSON:
    """A new ``card`` payment method (Stripe's test Visa), attached to ``cust`` when
    ``attach`` (Checkout saves the card of a subscription, or of a payment made with
    ``setup_future_usage``)."""
    return store.base(
        "payment_method",
        owner,
        allow_redisplay="limited" if attach else "unspecified",
        billing_details={
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": (cust or {}).get("email"),
            "name": (cust or {}).get("name"),
            "phone": None,
            "tax_id": None,
        },
        card={
            "brand": CARD["brand"],
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": CARD["country"],
            "display_brand": CARD["brand"],
            "exp_month": CARD["exp_month"],
            "exp_year": CARD["exp_year"],
            "fingerprint": "fakestripe4242",
            "funding": CARD["funding"],
            "generated_from": None,
            "last4": CARD["last4"],
            "networks": {"available": [CARD["network"]], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        customer=cust["id"] if attach and cust else None,
        type="card",
    )


def customer(store: Store, owner: str | None, **fields: Any) -> JSON:
    """A new customer (``email``, ``name``, ``metadata`` from ``fields``)."""
    obj = store.base(
        "customer",
        owner,
        address=None,
        balance=0,
        currency=None,
        default_source=None,
        delinquent=False,
        description=None,
        discount=None,
        email=None,
        invoice_prefix=new_id("x", 8)[2:].upper(),
        invoice_settings={
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        name=None,
        next_invoice_sequence=1,
        phone=None,
        preferred_locales=[],
        shipping=None,
        tax_exempt="none",
        test_clock=None,
    )
    obj.update(fields)
    return obj


def plan_of(price: JSON) -> JSON:
    """The legacy ``plan`` Stripe still shows beside a recurring ``price``."""
    recurring = price.get("recurring") or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count", 1),
        "livemode": False,
        "metadata": {},
        "nickname": price.get("nickname"),
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": recurring.get("usage_type", "licensed"),
    }


def period_end(start: int, items: list[JSON]) -> int:
    """The end of the billing period starting at ``start`` for these subscription items."""
    recurring = (items[0]["price"].get("recurring") if items else None) or {}
    return add_interval(
        start, recurring.get("interval", "month"), recurring.get("interval_count", 1)
    )


def subscription(
    store: Store,
    owner: str | None,
    *,
    customer_id: str,
    line_items: list[JSON],
    data: JSON,
    payment_method_id: str | None = None,
) -> JSON:
    """A new active subscription for ``line_items`` (price and quantity), with
    ``subscription_data`` options (``metadata``, ``application_fee_percent``,
    ``transfer_data``, ``on_behalf_of``, ``description``) from ``data``, paid with
    ``payment_method_id`` (its ``default_payment_method``)."""
    now = store.now()
    sub_id = new_id("sub")
    items = [
        {
            "id": new_id("si"),
            "object": "subscription_item",
            "billing_thresholds": None,
            "created": now,
            "current_period_end": 0,
            "current_period_start": now,
            "discounts": [],
            "livemode": False,
            "metadata": {},
            "plan": plan_of(item["price"]),
            "price": copy.deepcopy(item["price"]),
            "quantity": item["quantity"],
            "subscription": sub_id,
            "tax_rates": [],
        }
        for item in line_items
    ]
    end = period_end(now, items)
    for item in items:
        item["current_period_end"] = end
    fee = data.get("application_fee_percent")
    destination = (data.get("transfer_data") or {}).get("destination")
    amount_percent = (data.get("transfer_data") or {}).get("amount_percent")
    return store.base(
        "subscription",
        owner,
        id=sub_id,
        application=None,
        application_fee_percent=float(fee) if fee not in (None, "") else None,
        automatic_tax={"disabled_reason": None, "enabled": False, "liability": None},
        billing_cycle_anchor=now,
        billing_cycle_anchor_config=None,
        billing_mode={"flexible": None, "type": "classic", "updated_at": None},
        billing_thresholds=None,
        cancel_at=None,
        cancel_at_period_end=False,
        canceled_at=None,
        cancellation_details={"comment": None, "feedback": None, "reason": None},
        collection_method="charge_automatically",
        currency=items[0]["price"]["currency"],
        current_period_end=end,
        current_period_start=now,
        customer=customer_id,
        days_until_due=None,
        default_payment_method=payment_method_id,
        default_source=None,
        default_tax_rates=[],
        description=data.get("description") or None,
        discounts=[],
        ended_at=None,
        invoice_settings={"account_tax_ids": None, "issuer": {"type": "self"}},
        items=store.list_object(f"/v1/subscription_items?subscription={sub_id}", items),
        latest_invoice=None,
        metadata=dict(data.get("metadata") or {}),
        next_pending_invoice_item_invoice=None,
        on_behalf_of=data.get("on_behalf_of") or None,
        pause_collection=None,
        payment_settings={
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        pending_invoice_item_interval=None,
        pending_setup_intent=None,
        pending_update=None,
        schedule=None,
        start_date=now,
        status="active",
        test_clock=None,
        transfer_data=(
            {
                "amount_percent": float(amount_percent) if amount_percent else None,
                "destination": destination,
            }
            if destination
            else None
        ),
        trial_end=None,
        trial_settings={"end_behavior": {"missing_payment_method": "create_invoice"}},
        trial_start=None,
    )


def set_period(sub: JSON, start: int, end: int) -> None:
    """Move ``sub`` (its items, and the legacy top-level fields) to the period start..end."""
    for item in sub["items"]["data"]:
        item["current_period_start"] = start
        item["current_period_end"] = end
    sub["current_period_start"] = start
    sub["current_period_end"] = end


def invoice(store: Store, sub: JSON, cust: JSON, *, billing_reason: str) -> JSON:
    """A new finalized (``open``) invoice for ``sub``'s current period, with its lines."""
    now = store.now()
    invoice_id = new_id("in")
    start, end = sub["current_period_start"], sub["current_period_end"]
    lines = []
    for item in sub["items"]["data"]:
        price = item["price"]
        amount = (price["unit_amount"] or 0) * item["quantity"]
        product = store.objects.get(price["product"], {})
        lines.append(
            {
                "id": new_id("il"),
                "object": "line_item",
                "amount": amount,
                "currency": price["currency"],
                "description": f"{item['quantity']} × {product.get('name', price['product'])}",
                "discount_amounts": [],
                "discountable": True,
                "discounts": [],
                "invoice": invoice_id,
                "livemode": False,
                "metadata": {},
                "parent": {
                    "type": "subscription_item_details",
                    "invoice_item_details": None,
                    "subscription_item_details": {
                        "invoice_item": None,
                        "proration": False,
                        "proration_details": {"credited_items": None},
                        "subscription": sub["id"],
                        "subscription_item": item["id"],
                    },
                },
                "period": {"end": end, "start": start},
                "pretax_credit_amounts": [],
                "pricing": {
                    "type": "price_details",
                    "price_details": {"price": price["id"], "product": price["product"]},
                    "unit_amount_decimal": price["unit_amount_decimal"],
                },
                "quantity": item["quantity"],
                "subscription": sub["id"],
                "subtotal": amount,
                "taxes": [],
            }
        )
    total = sum(line["amount"] for line in lines)
    sequence = cust.get("next_invoice_sequence", 1)
    cust["next_invoice_sequence"] = sequence + 1
    return store.base(
        "invoice",
        store.owner.get(sub["id"]),
        id=invoice_id,
        account_country="US",
        account_name="Fake Stripe",
        account_tax_ids=None,
        amount_due=total,
        amount_overpaid=0,
        amount_paid=0,
        amount_paid_off_stripe=0,
        amount_remaining=total,
        amount_shipping=0,
        application=None,
        attempt_count=0,
        attempted=False,
        auto_advance=True,
        automatic_tax={
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        automatically_finalizes_at=None,
        billing_reason=billing_reason,
        charge=None,
        collection_method="charge_automatically",
        currency=sub["currency"],
        custom_fields=None,
        customer=cust["id"],
        customer_address=None,
        customer_email=cust.get("email"),
        customer_name=cust.get("name"),
        customer_phone=None,
        customer_shipping=None,
        customer_tax_exempt="none",
        customer_tax_ids=[],
        default_payment_method=None,
        default_source=None,
        default_tax_rates=[],
        description=None,
        discounts=[],
        due_date=None,
        effective_at=now,
        ending_balance=0,
        footer=None,
        from_invoice=None,
        hosted_invoice_url=f"{store.base_url}/invoice/{invoice_id}",
        invoice_pdf=f"{store.base_url}/invoice/{invoice_id}/pdf",
        issuer={"type": "self"},
        last_finalization_error=None,
        latest_revision=None,
        lines=store.list_object(f"/v1/invoices/{invoice_id}/lines", lines),
        next_payment_attempt=None,
        number=f"{cust['invoice_prefix']}-{sequence:04d}",
        on_behalf_of=sub.get("on_behalf_of"),
        paid=False,
        parent={
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": copy.deepcopy(sub["metadata"]),
                "subscription": sub["id"],
                "subscription_proration_date": None,
            },
        },
        payment_intent=None,
        payment_settings={
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        payments=store.list_object(f"/v1/invoice_payments?invoice={invoice_id}", []),
        period_end=now,
        period_start=now,
        post_payment_credit_notes_amount=0,
        pre_payment_credit_notes_amount=0,
        receipt_number=None,
        rendering=None,
        shipping_cost=None,
        shipping_details=None,
        starting_balance=0,
        statement_descriptor=None,
        status="open",
        status_transitions={
            "finalized_at": now,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        subscription=sub["id"],
        subtotal=total,
        subtotal_excluding_tax=total,
        test_clock=None,
        threshold_reason=None,
        total=total,
        total_discount_amounts=[],
        total_excluding_tax=total,
        total_pretax_credit_amounts=[],
        total_taxes=[],
        webhooks_delivered_at=now,
    )


def payment_intent(
    store: Store,
    owner: str | None,
    *,
    amount: int,
    currency: str,
    customer_id: str | None,
    fee: int | None = None,
    destination: str | None = None,
    on_behalf_of: str | None = None,
    invoice_id: str | None = None,
    metadata: JSON | None = None,
    description: str | None = None,
    transfer_group: str | None = None,
) -> JSON:
    """A new payment intent waiting for its payment (``requires_payment_method``)."""
    pi_id = new_id("pi")
    return store.base(
        "payment_intent",
        owner,
        id=pi_id,
        amount=amount,
        amount_capturable=0,
        amount_details={"tip": {}},
        amount_received=0,
        application=None,
        application_fee_amount=fee,
        automatic_payment_methods=None,
        canceled_at=None,
        cancellation_reason=None,
        capture_method="automatic_async",
        client_secret=f"{pi_id}_secret_{new_id('x', 20)[2:]}",
        confirmation_method="automatic",
        currency=currency,
        customer=customer_id,
        description=description,
        excluded_payment_method_types=None,
        invoice=invoice_id,
        last_payment_error=None,
        latest_charge=None,
        metadata=dict(metadata or {}),
        next_action=None,
        on_behalf_of=on_behalf_of,
        payment_method=None,
        payment_method_configuration_details=None,
        payment_method_options={},
        payment_method_types=["card"],
        processing=None,
        receipt_email=None,
        review=None,
        setup_future_usage=None,
        shipping=None,
        source=None,
        statement_descriptor=None,
        statement_descriptor_suffix=None,
        status="requires_payment_method",
        transfer_data={"destination": destination} if destination else None,
        transfer_group=transfer_group,
    )


def charge(store: Store, pi: JSON, cust: JSON | None) -> JSON:
    """A new succeeded charge for ``pi``; ``pi`` becomes ``succeeded`` with it as latest."""
    charge_id = new_id("ch")
    fee = pi.get("application_fee_amount")
    destination = (pi.get("transfer_data") or {}).get("destination")
    payment_method = pi.get("payment_method")
    if payment_method is None:
        payment_method = billing_payment_method(store, pi, cust)
    obj = store.base(
        "charge",
        store.owner.get(pi["id"]),
        id=charge_id,
        amount=pi["amount"],
        amount_captured=pi["amount"],
        amount_refunded=0,
        application=None,
        application_fee=None,
        application_fee_amount=fee,
        balance_transaction=new_id("txn"),
        billing_details={
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": (cust or {}).get("email"),
            "name": (cust or {}).get("name"),
            "phone": None,
            "tax_id": None,
        },
        calculated_statement_descriptor="FAKESTRIPE",
        captured=True,
        currency=pi["currency"],
        customer=pi.get("customer"),
        description=pi.get("description"),
        disputed=False,
        failure_balance_transaction=None,
        failure_code=None,
        failure_message=None,
        fraud_details={},
        invoice=pi.get("invoice"),
        on_behalf_of=pi.get("on_behalf_of"),
        outcome={
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        paid=True,
        payment_intent=pi["id"],
        payment_method=payment_method,
        payment_method_details={"type": "card", "card": dict(CARD)},
        receipt_email=(cust or {}).get("email"),
        receipt_number=None,
        receipt_url=f"{store.base_url}/receipts/{charge_id}",
        refunded=False,
        refunds=store.list_object(f"/v1/charges/{charge_id}/refunds", []),
        review=None,
        shipping=None,
        source=None,
        source_transfer=None,
        statement_descriptor=None,
        statement_descriptor_suffix=None,
        status="succeeded",
        transfer=None,
        transfer_data={"amount": None, "destination": destination} if destination else None,
        transfer_group=pi.get("transfer_group"),
    )
    if fee:
        obj["application_fee"] = application_fee(store, obj, fee)["id"]
    pi.update(
        status="succeeded",
        amount_received=pi["amount"],
        latest_charge=charge_id,
        last_payment_error=None,
        payment_method=payment_method,
    )
    return obj


def application_fee(store: Store, ch: JSON, amount: int) -> JSON:
    """The platform's ``amount`` fee on the Connect charge ``ch`` (``application_fee_amount``),
    taken from the destination (or ``on_behalf_of``) account.

    Stripe names as ``charge`` the payment on the connected account that its automatic
    transfer makes; the fake makes no such transfer, so ``charge`` and
    ``originating_transaction`` both name the platform's charge.
    """
    account = (ch.get("transfer_data") or {}).get("destination") or ch.get("on_behalf_of")
    fee = store.base(
        "application_fee",
        store.owner.get(ch["id"]),
        account=account,
        amount=amount,
        amount_refunded=0,
        application=CONNECT_APPLICATION,
        balance_transaction=new_id("txn"),
        charge=ch["id"],
        currency=ch["currency"],
        fee_source={"charge": ch["id"], "type": "charge"},
        originating_transaction=ch["id"],
        refunded=False,
        refunds={},
    )
    fee.pop("metadata")  # application fees have none
    fee["refunds"] = store.list_object(f"/v1/application_fees/{fee['id']}/refunds", [])
    return fee


def charge_succeeded(store: Store, ctx: Context, ch: JSON) -> list[str]:
    """Emit ``charge.succeeded`` for ``ch``, then ``application_fee.created`` if it has a fee;
    returns the event ids."""
    events = [store.emit("charge.succeeded", ch, ctx)["id"]]
    fee = store.objects.get(ch.get("application_fee") or "")
    if fee is not None:
        events.append(store.emit("application_fee.created", fee, ctx)["id"])
    return events


def billing_payment_method(store: Store, pi: JSON, cust: JSON | None) -> str:
    """The id of a new card payment method (not saved) paying ``pi``."""
    return payment_method(store, store.owner.get(pi["id"]), cust, attach=False)["id"]


def invoice_payment(store: Store, inv: JSON, pi: JSON) -> JSON:
    """The invoice payment linking ``inv`` to ``pi`` (``open`` until the intent succeeds)."""
    obj = store.base(
        "invoice_payment",
        store.owner.get(inv["id"]),
        amount_paid=None,
        amount_requested=inv["amount_due"],
        currency=inv["currency"],
        invoice=inv["id"],
        is_default=True,
        payment={
            "type": "payment_intent",
            "charge": None,
            "payment_intent": pi["id"],
            "payment_record": None,
        },
        status="open",
        status_transitions={"canceled_at": None, "paid_at": None},
    )
    obj.pop("metadata")  # invoice payments have none
    inv["payments"]["data"].append(obj)
    inv["payments"]["total_count"] = len(inv["payments"]["data"])
    inv["payment_intent"] = pi["id"]
    return obj


def pay_invoice(
    store: Store, ctx: Context, inv: JSON, sub: JSON, cust: JSON, *, succeed: bool
) -> list[str]:
    """Attempt ``inv``'s payment (creating or reusing its payment intent); returns event ids.

    Success: intent and charge succeed, the invoice is ``paid``; events ``invoice.paid``,
    ``invoice.payment_succeeded``, ``payment_intent.succeeded``, ``charge.succeeded`` (and
    ``application_fee.created`` for a Connect charge with a fee).
    Failure: the invoice stays ``open`` with one more attempt and a next attempt in three
    days; events ``invoice.payment_failed``, ``payment_intent.payment_failed``.
    """
    now = store.now()
    payment = inv["payments"]["data"][-1] if inv["payments"]["data"] else None
    if payment is None:
        fee_percent = sub.get("application_fee_percent")
        pi = payment_intent(
            store,
            store.owner.get(inv["id"]),
            amount=inv["amount_due"],
            currency=inv["currency"],
            customer_id=cust["id"],
            fee=round(inv["amount_due"] * fee_percent / 100) if fee_percent else None,
            destination=(sub.get("transfer_data") or {}).get("destination"),
            on_behalf_of=sub.get("on_behalf_of"),
            invoice_id=inv["id"],
            description="Subscription creation"
            if inv["billing_reason"] == "subscription_create"
            else "Subscription update",
        )
        payment = invoice_payment(store, inv, pi)
    else:
        pi = store.objects[payment["payment"]["payment_intent"]]
    inv.update(attempt_count=inv["attempt_count"] + 1, attempted=True)
    events: list[str] = []
    if not succeed:
        # Stripe clears the intent's payment method and shows it in the error instead.
        card = store.objects.get(sub.get("default_payment_method") or "")
        error = {**DECLINE, "payment_method": store.render(card) if card else None}
        pi.update(status="requires_payment_method", payment_method=None, last_payment_error=error)
        inv.update(next_payment_attempt=now + 3 * DAY)
        events.append(store.emit("invoice.payment_failed", inv, ctx)["id"])
        events.append(store.emit("payment_intent.payment_failed", pi, ctx)["id"])
        return events
    pi["payment_method"] = sub.get("default_payment_method")
    ch = charge(store, pi, cust)
    payment.update(amount_paid=inv["amount_due"], status="paid")
    payment["payment"]["charge"] = ch["id"]
    payment["status_transitions"]["paid_at"] = now
    inv.update(
        amount_paid=inv["amount_due"],
        amount_remaining=0,
        auto_advance=False,
        charge=ch["id"],
        next_payment_attempt=None,
        paid=True,
        status="paid",
    )
    inv["status_transitions"]["paid_at"] = now
    events.append(store.emit("invoice.paid", inv, ctx)["id"])
    events.append(store.emit("invoice.payment_succeeded", inv, ctx)["id"])
    events.append(store.emit("payment_intent.succeeded", pi, ctx)["id"])
    events += charge_succeeded(store, ctx, ch)
    return events


# -- balance transactions ---------------------------------------------------------------------

DISPUTE_FEE = 1500  # Stripe's fee for a dispute, in minor units (US: $15.00)


def stripe_fee(amount: int) -> int:
    """Stripe's card processing fee on ``amount`` (US cards: 2.9% + 30)."""
    return round(amount * 0.029) + 30


def _txn(
    obj: JSON,
    txn_id: str,
    *,
    amount: int,
    type: str,  # noqa: A002 (Stripe's field name)
    category: str,
    fee: int = 0,
    fee_description: str = "Stripe processing fees",
    status: str = "available",
) -> JSON:
    """A balance transaction of ``obj`` (its ``source``): ``amount`` and Stripe's ``fee``."""
    currency = obj["currency"]
    fee_details = []
    if fee:
        fee_details.append(
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": fee_description,
                "type": "stripe_fee",
            }
        )
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": obj["created"] + (2 * DAY if status == "pending" else 0),
        "balance_type": "payments",
        "created": obj["created"],
        "currency": currency,
        "description": obj.get("description"),
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": category,
        "source": obj["id"],
        "status": status,
        "type": type,
    }


def dispute_withdrawal(store: Store, dispute: JSON) -> JSON:
    """The balance transaction taking a new dispute's amount and Stripe's dispute fee."""
    return _txn(
        dispute,
        new_id("txn"),
        amount=-dispute["amount"],
        type="adjustment",
        category="dispute",
        fee=DISPUTE_FEE,
        fee_description="Dispute fee",
    )


def balance_transactions(store: Store) -> list[JSON]:
    """Every balance transaction, oldest first, derived from the objects that moved money:
    charges, application fees, refunds, transfers and their reversals, payouts (and their
    failures), disputes (their ``balance_transactions`` as stored)."""
    result: list[JSON] = []
    for obj in list(store.objects.values()):
        kind, txn_id = obj.get("object"), obj.get("balance_transaction")
        if kind == "charge" and txn_id:
            result.append(
                _txn(
                    obj,
                    txn_id,
                    amount=obj["amount"],
                    type="charge",
                    category="charge",
                    fee=stripe_fee(obj["amount"]),
                    status="pending",
                )
            )
        elif kind == "refund" and txn_id:
            result.append(
                _txn(obj, txn_id, amount=-obj["amount"], type="refund", category="refund")
            )
        elif kind == "transfer" and txn_id:
            result.append(
                _txn(obj, txn_id, amount=-obj["amount"], type="transfer", category="transfer")
            )
        elif kind == "transfer_reversal" and txn_id:
            result.append(
                _txn(
                    obj,
                    txn_id,
                    amount=obj["amount"],
                    type="transfer_refund",
                    category="transfer_reversal",
                )
            )
        elif kind == "payout":
            if txn_id:
                result.append(
                    _txn(obj, txn_id, amount=-obj["amount"], type="payout", category="payout")
                )
            if obj.get("failure_balance_transaction"):
                result.append(
                    _txn(
                        obj,
                        obj["failure_balance_transaction"],
                        amount=obj["amount"],
                        type="payout_failure",
                        category="payout_reversal",
                    )
                )
        elif kind == "application_fee" and txn_id:
            result.append(
                _txn(
                    obj,
                    txn_id,
                    amount=obj["amount"],
                    type="application_fee",
                    category="platform_earning",
                )
            )
        elif kind == "dispute":
            result.extend(copy.deepcopy(obj["balance_transactions"]))
    return result


def balance_transaction(store: Store, txn_id: str) -> JSON | None:
    """The balance transaction ``txn_id``, or ``None``."""
    return next((txn for txn in balance_transactions(store) if txn["id"] == txn_id), None)
