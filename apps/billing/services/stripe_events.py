"""What each Stripe event does to Agora's state. Called inside the event's transaction.

Events arrive at least once and in any order. Each handler is idempotent, and a
subscription's row records the event it was last set from: an event older than that
(``created``, then the lifecycle rank: incomplete, live, ended) changes nothing, an
ended subscription never comes back, and on a tie whose states differ Stripe's
current object decides.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apps.billing import selectors, stripe_api
from apps.billing.models import (
    DUNNING,
    ENDED,
    PAYING,
    ConnectAccount,
    CreatorTier,
    Customer,
    LedgerEntry,
    Notice,
    PayoutHold,
    Subscription,
    SubscriptionStatus,
    WebhookEvent,
)
from apps.billing.services import holds, ledger, payouts
from apps.billing.services.checkout import ACCOUNT_KEY
from apps.billing.services.creators import connect_apply
from apps.billing.services.entitlements import entitlements_invalidate
from core import events

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], WebhookEvent], None]
_HANDLERS: dict[str, Handler] = {}


class UnknownCustomer(LookupError):
    """An event about a Stripe customer no Agora account is linked to (retried: the
    link may be on its way in another event)."""


def handles(*types: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        for name in types:
            _HANDLERS[name] = function
        return function

    return register


def handled_types() -> list[str]:
    return sorted(_HANDLERS)


def handle(event: WebhookEvent) -> None:
    """Run the handler of ``event``'s type; types Agora does not act on are recorded only."""
    handler = _HANDLERS.get(event.type)
    if handler is None:
        return
    handler(event.payload["data"]["object"], event)


# Reading Stripe's objects ------------------------------------------------------


def _id(value: Any) -> str:
    """An id from a field Stripe sends as an id or as an expanded object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _timestamp(value: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(value, tz=dt.UTC) if isinstance(value, int) else None


def _first_item(subscription: dict[str, Any]) -> dict[str, Any]:
    items = (subscription.get("items") or {}).get("data") or []
    return items[0] if items else {}


def _price_id(subscription: dict[str, Any]) -> str:
    item = _first_item(subscription)
    return _id(item.get("price")) or _id(item.get("plan"))


def _period_end(subscription: dict[str, Any]) -> dt.datetime | None:
    # Since API version 2025-03-31 the period is the item's; older versions had it on top.
    return _timestamp(_first_item(subscription).get("current_period_end")) or _timestamp(
        subscription.get("current_period_end")
    )


def _invoice_subscription(invoice: dict[str, Any]) -> str:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return _id(details.get("subscription")) or _id(invoice.get("subscription"))


def _account_id(*, metadata: dict[str, Any] | None, customer: str) -> int:
    """The Agora account an object is about: its metadata, else its customer's link."""
    raw = (metadata or {}).get(ACCOUNT_KEY)
    if raw and str(raw).isdigit():
        return int(raw)
    linked = (
        Customer.objects.filter(stripe_id=customer).values_list("account_id", flat=True).first()
    )
    if linked is None:
        raise UnknownCustomer(f"no Agora account is linked to Stripe customer {customer!r}")
    return linked


def _rank(status: str, *, deleted: bool) -> int:
    if deleted or status in ENDED:
        return 2
    return 0 if status == SubscriptionStatus.INCOMPLETE else 1


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency.upper()}"


def _when(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _notify(*, account_id: int, kind: str, text: str, reference: str, subscription=None) -> None:
    Notice.objects.get_or_create(
        account_id=account_id,
        kind=kind,
        reference=reference[:255],
        defaults={"text": text, "subscription": subscription},
    )


# Subscriptions ---------------------------------------------------------------


def subscription_apply(
    data: dict[str, Any], *, event_created: int, deleted: bool = False, refetched: bool = False
) -> Subscription | None:
    """Set the account's subscription row from Stripe's object as of ``event_created``."""
    status = SubscriptionStatus.CANCELED if deleted else str(data.get("status") or "")
    if status not in SubscriptionStatus.values:
        raise ValueError(f"unknown subscription status {status!r}")
    account_id = _account_id(metadata=data.get("metadata"), customer=_id(data.get("customer")))
    rank = _rank(status, deleted=deleted)
    row = Subscription.objects.select_for_update().filter(stripe_id=data["id"]).first()
    if row is not None:
        newer = (event_created, rank) > (row.source_event_created, row.source_event_rank)
        same = (event_created, rank) == (row.source_event_created, row.source_event_rank)
        if row.status in ENDED or not (newer or same):
            return row  # an ended subscription stays ended; a late event changes nothing
        if same and row.status != status and not refetched:
            # Two events of one second disagree: Stripe's current object settles it.
            with stripe_api.calling_stripe():
                fresh = stripe_api.client().v1.subscriptions.retrieve(data["id"])
            return subscription_apply(
                fresh.to_dict(), event_created=event_created, deleted=False, refetched=True
            )
    was_granting = row is not None and row.grants_plan()
    old_status = row.status if row is not None else ""
    price = _price_id(data)
    if row is None:
        row = Subscription(stripe_id=data["id"], account_id=account_id)
    tier = CreatorTier.objects.filter(stripe_price_id=price).first() if price else None
    if tier is not None:
        row.kind = Subscription.Kind.CREATOR
        row.creator_tier = tier
        row.creator_id = tier.creator_id
        row.plan = None
    else:
        row.plan = selectors.plan_by_price(price)
    row.stripe_price_id = price
    row.status = status
    row.current_period_end = _period_end(data)
    row.cancel_at_period_end = bool(data.get("cancel_at_period_end"))
    row.source_event_created = event_created
    row.source_event_rank = rank
    if status in DUNNING and row.grace_until is None:
        row.grace_until = timezone.now() + dt.timedelta(days=settings.BILLING_GRACE_DAYS)
    elif status in PAYING:
        row.grace_until = None
        row.lapse_notified = False
    row.save()
    _announce(row, was_granting=was_granting, old_status=old_status)
    return row


def _announce(row: Subscription, *, was_granting: bool, old_status: str) -> None:
    """Tell the account and the platform what changed (nothing when nothing did)."""
    granting = row.grants_plan()
    if granting == was_granting and row.status == old_status:
        return
    entitlements_invalidate(row.account_id)
    if row.creator_tier is not None:
        plan_name = _("%(creator)s's %(tier)s") % {
            "creator": row.creator_tier.creator.username,
            "tier": row.creator_tier.name,
        }
    else:
        plan_name = row.plan.name if row.plan else row.stripe_price_id
    if granting and not was_granting:
        _notify(
            account_id=row.account_id,
            kind=Notice.Kind.PLAN_STARTED,
            text=(
                _("Your membership of %(plan)s is active.")
                if row.creator_tier is not None
                else _("Your %(plan)s plan is active.")
            )
            % {"plan": plan_name},
            reference=f"{row.stripe_id}:started:{row.source_event_created}",
            subscription=row,
        )
    elif was_granting and not granting and row.status in ENDED:
        if row.creator_tier is not None:
            text = _("Your membership of %(plan)s has ended.") % {"plan": plan_name}
        else:
            text = _("Your %(plan)s plan has ended; you are on the free plan.") % {
                "plan": plan_name
            }
        _notify(
            account_id=row.account_id,
            kind=Notice.Kind.PLAN_ENDED,
            text=text,
            reference=f"{row.stripe_id}:ended",
            subscription=row,
        )
    if row.creator_tier is not None:
        tier = row.creator_tier.name if granting else "none"
    else:
        tier = row.plan.tier if granting and row.plan else "free"
    events.publish(
        events.SubscriptionChanged(
            account_id=row.account_id,
            subscription=row.stripe_id,
            kind=row.kind,
            tier=tier,
            status=row.status,
            creator_id=row.creator_id,
        )
    )


def _subscription_row(subscription_id: str, event: WebhookEvent) -> Subscription | None:
    """The row of a subscription an invoice is about, fetched from Stripe if no event
    about it has arrived yet."""
    row = Subscription.objects.select_for_update().filter(stripe_id=subscription_id).first()
    if row is not None:
        return row
    with stripe_api.calling_stripe():
        remote = stripe_api.client().v1.subscriptions.retrieve(subscription_id)
    return subscription_apply(remote.to_dict(), event_created=event.stripe_created)


@handles(
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
)
def on_subscription(data: dict[str, Any], event: WebhookEvent) -> None:
    subscription_apply(
        data, event_created=event.stripe_created, deleted=event.type.endswith(".deleted")
    )


@handles("checkout.session.completed")
def on_checkout_completed(data: dict[str, Any], event: WebhookEvent) -> None:
    """Link the customer to the account, and take the subscription as Stripe has it now."""
    if data.get("mode") != "subscription" or not data.get("subscription"):
        return
    customer = _id(data.get("customer"))
    reference = str(data.get("client_reference_id") or "")
    if customer and reference.isdigit():
        Customer.objects.get_or_create(stripe_id=customer, defaults={"account_id": int(reference)})
    with stripe_api.calling_stripe():
        remote = stripe_api.client().v1.subscriptions.retrieve(_id(data["subscription"]))
    subscription_apply(remote.to_dict(), event_created=event.stripe_created)


# Invoices (dunning) --------------------------------------------------------------


@handles("invoice.payment_failed")
def on_payment_failed(data: dict[str, Any], event: WebhookEvent) -> None:
    """Start the grace period, tell the account, publish PaymentFailed."""
    account_id = _account_id(metadata=None, customer=_id(data.get("customer")))
    amount = int(data.get("amount_due") or 0)
    currency = str(data.get("currency") or "")
    attempt = int(data.get("attempt_count") or 1)
    subscription_id = _invoice_subscription(data)
    row = _subscription_row(subscription_id, event) if subscription_id else None
    if row is not None and row.status not in ENDED:
        if row.grace_until is None:
            row.grace_until = timezone.now() + dt.timedelta(days=settings.BILLING_GRACE_DAYS)
            row.save(update_fields=["grace_until", "updated_at"])
            entitlements_invalidate(row.account_id)
        text = _(
            "Your payment of %(amount)s failed. Your plan stays until %(until)s; update your "
            "payment method in the customer portal to keep it."
        ) % {"amount": _money(amount, currency), "until": _when(row.grace_until)}
    else:
        text = _("Your payment of %(amount)s failed.") % {"amount": _money(amount, currency)}
    _notify(
        account_id=account_id,
        kind=Notice.Kind.PAYMENT_FAILED,
        text=text,
        reference=f"{data['id']}:{attempt}",
        subscription=row,
    )
    events.publish(
        events.PaymentFailed(
            account_id=account_id,
            amount=amount,
            currency=currency,
            reference=str(data["id"]),
            attempt=attempt,
        )
    )


@handles("invoice.payment_succeeded")
def on_payment_succeeded(data: dict[str, Any], event: WebhookEvent) -> None:
    """Publish PaymentSucceeded; a subscription in dunning is taken as Stripe has it now."""
    account_id = _account_id(metadata=None, customer=_id(data.get("customer")))
    subscription_id = _invoice_subscription(data)
    if subscription_id:
        row = Subscription.objects.filter(stripe_id=subscription_id).first()
        if row is not None and row.status in DUNNING:
            with stripe_api.calling_stripe():
                remote = stripe_api.client().v1.subscriptions.retrieve(subscription_id)
            subscription_apply(remote.to_dict(), event_created=event.stripe_created)
    events.publish(
        events.PaymentSucceeded(
            account_id=account_id,
            amount=int(data.get("amount_paid") or 0),
            currency=str(data.get("currency") or ""),
            reference=str(data["id"]),
        )
    )


# Creators' money -----------------------------------------------------------------


def _creator_of_destination(destination: str) -> int | None:
    if not destination:
        return None
    return (
        ConnectAccount.objects.filter(stripe_id=destination)
        .values_list("account_id", flat=True)
        .first()
    )


def _revenue_entry(payment_intent: str) -> LedgerEntry | None:
    """The creator revenue a payment posted (``None``: it paid no creator, or not yet)."""
    if not payment_intent:
        return None
    return LedgerEntry.objects.filter(source=f"pi:{payment_intent}:revenue").first()


@handles("payment_intent.succeeded")
def on_payment_intent_succeeded(data: dict[str, Any], event: WebhookEvent) -> None:
    """A fan's payment to a creator: their share is revenue, which Stripe paid them at once.

    Destination charges move the creator's share to their Connect account with the
    charge; the ledger records both, so the statement shows the revenue and the
    balance owes nothing for it. Payments of no invoice publish PaymentSucceeded
    (invoices publish their own).
    """
    amount = int(data.get("amount_received") or data.get("amount") or 0)
    currency = str(data.get("currency") or "")
    creator_id = _creator_of_destination(_id((data.get("transfer_data") or {}).get("destination")))
    if creator_id is not None and amount > 0:
        net = amount - int(data.get("application_fee_amount") or 0)
        occurred = _timestamp(data.get("created")) or timezone.now()
        ledger.post(
            creator_id=creator_id,
            kind=LedgerEntry.Kind.SUBSCRIPTION,
            amount=net,
            currency=currency,
            source=f"pi:{data['id']}:revenue",
            description=_("Membership payment, after the platform's share"),
            stripe_id=str(data["id"]),
            occurred_at=occurred,
        )
        ledger.post(
            creator_id=creator_id,
            kind=LedgerEntry.Kind.CHARGE_TRANSFER,
            amount=-net,
            currency=currency,
            source=f"pi:{data['id']}:transfer",
            description=_("Paid to your Stripe account with the payment"),
            stripe_id=str(data["id"]),
            occurred_at=occurred,
        )
    customer = _id(data.get("customer"))
    if not data.get("invoice") and customer:
        account_id = (
            Customer.objects.filter(stripe_id=customer).values_list("account_id", flat=True).first()
        )
        if account_id is not None:
            events.publish(
                events.PaymentSucceeded(
                    account_id=account_id,
                    amount=amount,
                    currency=currency,
                    reference=str(data["id"]),
                )
            )


@handles("charge.refunded")
def on_charge_refunded(data: dict[str, Any], event: WebhookEvent) -> None:
    """Take back the creator's share of what was refunded (refunds add up: post the rest)."""
    refunded = int(data.get("amount_refunded") or 0)
    revenue = _revenue_entry(_id(data.get("payment_intent")))
    creator_id = revenue.creator_id if revenue is not None else None
    if revenue is not None and refunded > 0:
        prefix = f"refund:{data['id']}:"
        share = ledger.share_of(revenue.amount, part=refunded, whole=int(data.get("amount") or 0))
        ledger.post(
            creator_id=revenue.creator_id,
            kind=LedgerEntry.Kind.REFUND,
            amount=-share - ledger.posted(prefix),
            currency=revenue.currency,
            source=f"{prefix}{refunded}",
            description=_("Refund of a membership payment"),
            stripe_id=str(data["id"]),
        )
    customer = _id(data.get("customer"))
    account_id = (
        Customer.objects.filter(stripe_id=customer).values_list("account_id", flat=True).first()
    )
    events.publish(
        events.PaymentRefunded(
            account_id=account_id,
            charge=str(data["id"]),
            amount=refunded,
            currency=str(data.get("currency") or ""),
            creator_id=creator_id,
        )
    )


def _dispute_creator(data: dict[str, Any]) -> LedgerEntry | None:
    payment_intent = _id(data.get("payment_intent"))
    if not payment_intent and data.get("charge"):
        with stripe_api.calling_stripe():
            charge = stripe_api.client().v1.charges.retrieve(_id(data["charge"]))
        payment_intent = _id(charge.payment_intent)
    return _revenue_entry(payment_intent)


@handles("charge.dispute.created")
def on_dispute_created(data: dict[str, Any], event: WebhookEvent) -> None:
    """Hold the creator's payouts while the dispute is open."""
    revenue = _dispute_creator(data)
    creator_id = revenue.creator_id if revenue is not None else None
    if creator_id is not None:
        holds.hold_place(
            creator_id=creator_id,
            kind=PayoutHold.Kind.DISPUTE,
            reason=_("A customer disputed a payment of %(amount)s to you.")
            % {"amount": _money(int(data.get("amount") or 0), str(data.get("currency") or ""))},
            reference=str(data["id"]),
        )
    events.publish(
        events.DisputeOpened(
            dispute=str(data["id"]),
            charge=_id(data.get("charge")),
            amount=int(data.get("amount") or 0),
            currency=str(data.get("currency") or ""),
            creator_id=creator_id,
        )
    )


@handles("charge.dispute.closed")
def on_dispute_closed(data: dict[str, Any], event: WebhookEvent) -> None:
    """Release the hold; a lost dispute takes back the creator's share of the payment."""
    revenue = _dispute_creator(data)
    outcome = str(data.get("status") or "")
    creator_id = revenue.creator_id if revenue is not None else None
    if revenue is not None:
        if outcome == "lost":
            ledger.post(
                creator_id=revenue.creator_id,
                kind=LedgerEntry.Kind.DISPUTE,
                amount=-revenue.amount,
                currency=revenue.currency,
                source=f"dispute:{data['id']}:lost",
                description=_("Lost dispute of a membership payment"),
                stripe_id=str(data["id"]),
            )
        holds.holds_release(
            creator_id=revenue.creator_id,
            kind=PayoutHold.Kind.DISPUTE,
            reference=str(data["id"]),
            reason=_("The dispute closed: %(outcome)s.") % {"outcome": outcome or "closed"},
        )
    events.publish(
        events.DisputeClosed(
            dispute=str(data["id"]),
            charge=_id(data.get("charge")),
            outcome=outcome,
            creator_id=creator_id,
        )
    )


@handles("account.updated")
def on_account_updated(data: dict[str, Any], event: WebhookEvent) -> None:
    connect_apply(data, event_created=event.stripe_created)


@handles("transfer.created", "transfer.updated", "transfer.reversed")
def on_transfer(data: dict[str, Any], event: WebhookEvent) -> None:
    """A payout's transfer: confirms a payout a killed batch left pending, or returns one."""
    from apps.billing.models import Payout

    raw = (data.get("metadata") or {}).get("agora_payout_id")
    payout = Payout.objects.filter(pk=int(raw)).first() if raw and str(raw).isdigit() else None
    if payout is None:
        return  # not one of Agora's payouts
    if int(data.get("amount_reversed") or 0) > 0:
        payouts.payout_record_reversed(transfer=data)
    elif payout.state == Payout.State.PENDING:
        payouts.payout_record_paid(payout=payout, transfer_id=str(data["id"]))


@handles("payout.paid", "payout.failed")
def on_bank_payout(data: dict[str, Any], event: WebhookEvent) -> None:
    """Stripe paid a creator's Connect balance to their bank (or could not): tell them."""
    creator_id = _creator_of_destination(event.connect_account)
    if creator_id is None:
        return
    status = "paid" if event.type == "payout.paid" else "failed"
    amount = int(data.get("amount") or 0)
    currency = str(data.get("currency") or "")
    if status == "failed":
        _notify(
            account_id=creator_id,
            kind=Notice.Kind.BANK_PAYOUT_FAILED,
            text=_(
                "Stripe could not pay %(amount)s to your bank (%(reason)s). Check your bank "
                "details in your Stripe account."
            )
            % {
                "amount": _money(amount, currency),
                "reason": data.get("failure_message")
                or data.get("failure_code")
                or _("no reason given"),
            },
            reference=str(data["id"]),
        )
    events.publish(
        events.BankPayoutUpdated(
            account_id=creator_id,
            payout=str(data["id"]),
            status=status,
            amount=amount,
            currency=currency,
        )
    )
