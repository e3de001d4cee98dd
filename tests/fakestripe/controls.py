"""Test controls: what a customer, a bank or Stripe itself would do outside the API.

Each control takes the store and keyword arguments, changes state as Stripe would, emits
Stripe's events and answers ``{"<kind>": object, ..., "events": [event ids]}``. The HTTP
endpoints under ``/_fake/`` and the helpers on :class:`~tests.fakestripe.FakeStripe` both
call these functions.
"""

from __future__ import annotations

import copy
from typing import Any

from . import billing
from .api import cancel_now, requirements
from .billing import DAY
from .state import JSON, ApiError, Context, Store, diff, new_id, not_found

PLATFORM = Context()


def _get(store: Store, kind: str, object_id: str) -> JSON:
    obj = store.find(kind, object_id)
    if obj is None:
        raise not_found(kind, object_id)
    return obj


def _shown(store: Store, objects: dict[str, JSON | None], events: list[str]) -> JSON:
    result: JSON = {name: store.render(obj) for name, obj in objects.items() if obj is not None}
    result["events"] = events
    return result


def complete_checkout(
    store: Store, session_id: str, *, email: str | None = None, name: str | None = None
) -> JSON:
    """The customer pays the Checkout Session ``session_id``.

    Creates the customer when the session named none (subscription mode, or payment mode with
    ``customer_creation=always``) and the card's payment method (saved to the customer in
    subscription mode, or with ``payment_intent_data[setup_future_usage]``); in subscription
    mode an active subscription with its first paid invoice, payment intent and charge; in
    payment mode a succeeded payment intent and charge. Events, in order: ``customer.created`` (if new), ``customer.subscription.created``,
    ``invoice.created``, ``invoice.paid``, ``invoice.payment_succeeded`` (subscription mode),
    ``payment_intent.succeeded``, ``charge.succeeded`` (then ``application_fee.created`` when
    the charge has a fee), ``checkout.session.completed``.
    """
    session = _get(store, "checkout.session", session_id)
    if session["status"] != "open":
        raise ApiError(
            400,
            f"Checkout Session {session_id} is not open (status {session['status']}).",
            param="id",
        )
    owner = store.owner.get(session_id)
    options = store.extra.get(session_id, {})
    events: list[str] = []
    cust = store.objects.get(session["customer"]) if session["customer"] else None
    email = (
        email or session["customer_email"] or (cust or {}).get("email") or "customer@example.com"
    )
    if cust is None and (
        session["mode"] == "subscription" or session["customer_creation"] == "always"
    ):
        cust = billing.customer(store, owner, email=email, name=name)
        events.append(store.emit("customer.created", cust, PLATFORM)["id"])
    session["customer_details"] = {
        "address": None,
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": name or (cust or {}).get("name"),
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
    sub = inv = pi = ch = None
    items = [
        {"price": line["price"], "quantity": line["quantity"]}
        for line in session["line_items"]["data"]
    ]
    if session["mode"] == "subscription":
        assert cust is not None
        card = billing.payment_method(store, owner, cust, attach=True)
        sub = billing.subscription(
            store,
            owner,
            customer_id=cust["id"],
            line_items=items,
            data=options.get("subscription_data") or {},
            payment_method_id=card["id"],
        )
        events.append(store.emit("customer.subscription.created", sub, PLATFORM)["id"])
        inv = billing.invoice(store, sub, cust, billing_reason="subscription_create")
        sub["latest_invoice"] = inv["id"]
        events.append(store.emit("invoice.created", inv, PLATFORM)["id"])
        events += billing.pay_invoice(store, PLATFORM, inv, sub, cust, succeed=True)
        pi = store.objects[inv["payment_intent"]]
        ch = store.objects[inv["charge"]]
        session.update(subscription=sub["id"], invoice=inv["id"])
    else:
        data = options.get("payment_intent_data") or {}
        pi = billing.payment_intent(
            store,
            owner,
            amount=session["amount_total"],
            currency=session["currency"],
            customer_id=(cust or {}).get("id"),
            fee=int(data["application_fee_amount"]) if data.get("application_fee_amount") else None,
            destination=(data.get("transfer_data") or {}).get("destination"),
            on_behalf_of=data.get("on_behalf_of") or None,
            metadata=data.get("metadata") or {},
            description=data.get("description") or None,
            transfer_group=data.get("transfer_group") or None,
        )
        card = billing.payment_method(
            store, owner, cust, attach=bool(cust and data.get("setup_future_usage"))
        )
        pi.update(
            payment_method=card["id"], setup_future_usage=data.get("setup_future_usage") or None
        )
        ch = billing.charge(store, pi, cust)
        events.append(store.emit("payment_intent.succeeded", pi, PLATFORM)["id"])
        events += billing.charge_succeeded(store, PLATFORM, ch)
        session["payment_intent"] = pi["id"]
    session.update(
        status="complete", payment_status="paid", customer=(cust or {}).get("id"), url=None
    )
    events.append(store.emit("checkout.session.completed", session, PLATFORM)["id"])
    return _shown(
        store,
        {
            "checkout_session": session,
            "customer": cust,
            "subscription": sub,
            "invoice": inv,
            "payment_intent": pi,
            "charge": ch,
        },
        events,
    )


def _subscription_parts(store: Store, sub_id: str) -> tuple[JSON, JSON]:
    sub = _get(store, "subscription", sub_id)
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise ApiError(400, f"Subscription {sub_id} is {sub['status']}.", param="id")
    return sub, store.objects[sub["customer"]]


def renew(store: Store, sub_id: str, *, succeed: bool = True) -> JSON:
    """The subscription's period ends and Stripe bills the next one (or retries a failed bill).

    If the latest invoice is still open (an earlier attempt failed) this retries it;
    otherwise the period moves on and a new ``subscription_cycle`` invoice is created
    (``invoice.created``). A subscription set to cancel at period end is canceled instead
    (``customer.subscription.deleted``). Paying succeeds or fails as ``succeed`` says (see
    :func:`billing.pay_invoice` for the events); failing leaves the subscription
    ``past_due``. Then ``customer.subscription.updated`` with ``previous_attributes``
    (the period, ``latest_invoice`` and ``status`` that changed).
    """
    sub, cust = _subscription_parts(store, sub_id)
    if sub["cancel_at_period_end"]:
        event = cancel_now(store, PLATFORM, sub, "cancellation_requested")
        return _shown(store, {"subscription": sub}, [event])
    before = copy.deepcopy(sub)
    events: list[str] = []
    latest = store.objects.get(sub["latest_invoice"] or "")
    if latest is not None and latest["status"] == "open":
        inv = latest
    else:
        start = sub["current_period_end"]
        billing.set_period(sub, start, billing.period_end(start, sub["items"]["data"]))
        inv = billing.invoice(store, sub, cust, billing_reason="subscription_cycle")
        sub["latest_invoice"] = inv["id"]
        events.append(store.emit("invoice.created", inv, PLATFORM)["id"])
    events += billing.pay_invoice(store, PLATFORM, inv, sub, cust, succeed=succeed)
    sub["status"] = "active" if succeed else "past_due"
    previous = diff(before, sub)
    if previous:
        events.append(
            store.emit("customer.subscription.updated", sub, PLATFORM, previous=previous)["id"]
        )
    pi = store.objects.get(inv["payment_intent"] or "")
    ch = store.objects.get(inv["charge"] or "")
    return _shown(
        store, {"subscription": sub, "invoice": inv, "payment_intent": pi, "charge": ch}, events
    )


def expire(store: Store, sub_id: str, *, status: str = "canceled") -> JSON:
    """Stripe's dunning gives up on ``sub_id``: ``canceled`` (``customer.subscription.deleted``)
    or ``unpaid`` (``customer.subscription.updated``), as the account's settings would say."""
    if status not in ("canceled", "unpaid"):
        raise ApiError(400, "status must be canceled or unpaid", param="status")
    sub, _ = _subscription_parts(store, sub_id)
    if status == "canceled":
        deleted = cancel_now(store, PLATFORM, sub, "payment_failed")
        return _shown(store, {"subscription": sub}, [deleted])
    if sub["status"] == "unpaid":
        return _shown(store, {"subscription": sub}, [])
    before = copy.deepcopy(sub)
    sub["status"] = "unpaid"
    event = store.emit("customer.subscription.updated", sub, PLATFORM, previous=diff(before, sub))
    return _shown(store, {"subscription": sub}, [event["id"]])


def dispute(
    store: Store, charge_id: str, *, amount: int | None = None, reason: str = "fraudulent"
) -> JSON:
    """The card holder disputes ``charge_id``: a ``needs_response`` dispute (its amount and
    Stripe's dispute fee withdrawn, in ``balance_transactions``) and
    ``charge.dispute.created``."""
    charge = _get(store, "charge", charge_id)
    if charge["disputed"]:
        raise ApiError(400, f"Charge {charge_id} is already disputed.", param="charge")
    amount = charge["amount"] if amount is None else int(amount)
    if not 0 < amount <= charge["amount"]:
        raise ApiError(400, f"amount must be between 1 and {charge['amount']}", param="amount")
    now = store.now()
    obj = store.base(
        "dispute",
        store.owner.get(charge_id),
        amount=amount,
        balance_transactions=[],
        charge=charge_id,
        currency=charge["currency"],
        enhanced_eligibility_types=[],
        evidence={
            "customer_email_address": None,
            "product_description": None,
            "uncategorized_text": None,
        },
        evidence_details={
            "due_by": now + 7 * DAY,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        is_charge_refundable=False,
        network_reason_code="10.4",
        payment_intent=charge["payment_intent"],
        payment_method_details={
            "type": "card",
            "card": {"brand": "visa", "case_type": "chargeback", "network_reason_code": "10.4"},
        },
        reason=reason,
        status="needs_response",
    )
    obj["balance_transactions"] = [billing.dispute_withdrawal(store, obj)]
    charge["disputed"] = True
    event = store.emit("charge.dispute.created", obj, PLATFORM)
    return _shown(store, {"dispute": obj, "charge": charge}, [event["id"]])


def close_dispute(store: Store, dispute_id: str, *, outcome: str = "won") -> JSON:
    """The bank decides ``dispute_id``: status ``won`` or ``lost``, ``charge.dispute.closed``."""
    if outcome not in ("won", "lost"):
        raise ApiError(400, "outcome must be won or lost", param="outcome")
    obj = _get(store, "dispute", dispute_id)
    if obj["status"] in ("won", "lost"):
        raise ApiError(
            400, f"Dispute {dispute_id} is already closed ({obj['status']}).", param="id"
        )
    before = copy.deepcopy(obj)
    obj["status"] = outcome
    obj["is_charge_refundable"] = False
    event = store.emit("charge.dispute.closed", obj, PLATFORM, previous=diff(before, obj))
    return _shown(store, {"dispute": obj}, [event["id"]])


def onboard(store: Store, account_id: str) -> JSON:
    """The connected account's owner finishes onboarding: details submitted, charges and
    payouts enabled, requirements cleared, capabilities active; ``account.updated``."""
    account = _get(store, "account", account_id)
    before = copy.deepcopy(account)
    account.update(
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
        requirements=requirements([]),
        capabilities=dict.fromkeys(
            account["capabilities"] or {"card_payments": 1, "transfers": 1}, "active"
        ),
        business_type=account["business_type"] or "individual",
        tos_acceptance={"date": store.now(), "ip": "127.0.0.1", "user_agent": "fakestripe"},
    )
    if not account["external_accounts"]["data"]:
        bank = {
            "id": new_id("ba"),
            "object": "bank_account",
            "account": account_id,
            "bank_name": "STRIPE TEST BANK",
            "country": account["country"],
            "currency": account["default_currency"],
            "default_for_currency": True,
            "last4": "6789",
            "status": "new",
        }
        account["external_accounts"].update(data=[bank], total_count=1)
    previous = diff(before, account)
    events = []
    if previous:
        events.append(
            store.emit("account.updated", account, PLATFORM, previous=previous, account=account_id)[
                "id"
            ]
        )
    return _shown(store, {"account": account}, events)


def payout(
    store: Store,
    account_id: str,
    amount: int,
    *,
    currency: str | None = None,
    outcome: str = "paid",
) -> JSON:
    """The connected account ``account_id`` is paid out ``amount``: ``payout.paid``, or
    ``payout.failed`` when ``outcome`` is ``failed``; both carry ``account``."""
    if outcome not in ("paid", "failed"):
        raise ApiError(400, "outcome must be paid or failed", param="outcome")
    account = _get(store, "account", account_id)
    amount = int(amount)
    if amount <= 0:
        raise ApiError(400, "amount must be positive", param="amount")
    now = store.now()
    failed = outcome == "failed"
    banks = account["external_accounts"]["data"]
    obj = store.base(
        "payout",
        account_id,
        amount=amount,
        application_fee=None,
        application_fee_amount=None,
        arrival_date=now + 2 * DAY,
        automatic=True,
        balance_transaction=new_id("txn"),
        currency=(currency or account["default_currency"]).lower(),
        description="STRIPE PAYOUT",
        destination=banks[0]["id"] if banks else new_id("ba"),
        failure_balance_transaction=new_id("txn") if failed else None,
        failure_code="account_closed" if failed else None,
        failure_message="The bank account has been closed." if failed else None,
        method="standard",
        original_payout=None,
        payout_method=None,
        reconciliation_status="not_applicable" if failed else "completed",
        reversed_by=None,
        source_type="card",
        statement_descriptor=None,
        status=outcome,
        trace_id={"status": "unsupported" if failed else "supported", "value": None},
        type="bank_account",
    )
    event = store.emit(f"payout.{outcome}", obj, PLATFORM, account=account_id)
    return _shown(store, {"payout": obj}, [event["id"]])


def state(store: Store) -> JSON:
    """How many objects of each kind the fake holds."""
    return {"counts": store.counts()}


def to_bool(value: Any, default: bool) -> bool:
    """A control's boolean parameter: ``true``/``false`` strings, booleans, or the default."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes")
