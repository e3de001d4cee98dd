"""The monthly payout batch: each creator's balance, one Stripe Transfer each, never twice.

A batch pays what creators earned before its cutoff (the first instant of the month
after its period), minus everything ever paid. For each creator, in its own
transaction:

1. the Payout row is written first, with the idempotency key ``agora-payout-<creator>-<YYYY-MM>``
   (unique), and committed;
2. Stripe is asked for the transfer with that key (and the key as ``transfer_group``),
   after looking for a transfer of that group, so a batch re-run after Stripe's
   24-hour idempotency window still finds the first one;
3. the payout is marked paid and its ledger entry posted, together.

A worker killed anywhere in between leaves a pending Payout that the next run finishes
with the same key: Stripe answers with the same transfer, so a creator is never paid
twice. Creators with an open hold, no payouts-enabled Connect account, or a balance
under ``BILLING_PAYOUT_MINIMUM`` are skipped (their balance waits).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing import stripe_api
from apps.billing.models import ConnectAccount, LedgerEntry, Payout, PayoutBatch, PayoutHold
from apps.billing.services import ledger, standing
from core import events

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (month_start(day) + dt.timedelta(days=32)).replace(day=1)


def previous_month(today: dt.date | None = None) -> dt.date:
    today = today or timezone.now().date()
    return month_start(month_start(today) - dt.timedelta(days=1))


def payout_key(creator_id: int, period: dt.date) -> str:
    return f"agora-payout-{creator_id}-{period:%Y-%m}"


@dataclass
class BatchReport:
    period: dt.date
    paid: int = 0
    already_paid: int = 0
    held: int = 0
    not_onboarded: int = 0
    below_minimum: int = 0
    failed: int = 0
    pending: int = 0
    amount: int = 0
    errors: list[str] = field(default_factory=list)


def _balances(cutoff: dt.datetime) -> dict[int, int]:
    """Each creator's payable balance at ``cutoff`` in the payout currency."""
    rows = (
        LedgerEntry.objects.filter(ledger.payable_q(cutoff), currency=settings.BILLING_CURRENCY)
        .values("creator_id")
        .annotate(balance=Sum("amount"))
        .order_by("creator_id")
    )
    return {row["creator_id"]: int(row["balance"] or 0) for row in rows}


def payout_batch_run(
    *, period: dt.date | None = None, progress: Progress | None = None
) -> BatchReport:
    """Pay ``period``'s batch (last month by default); safe to run again at any time."""
    stripe_api.require_configured()
    period = month_start(period or previous_month())
    cutoff = dt.datetime.combine(next_month(period), dt.time.min, tzinfo=dt.UTC)
    if cutoff > timezone.now():
        raise ValueError(f"the period {period:%Y-%m} has not ended yet")
    batch, _ = PayoutBatch.objects.get_or_create(period=period, defaults={"cutoff": cutoff})
    ledger.watch_time_accrue(until=cutoff.date())
    balances = _balances(batch.cutoff)
    unfinished = set(
        Payout.objects.filter(batch=batch, state=Payout.State.PENDING).values_list(
            "creator_id", flat=True
        )
    )
    creators = sorted(set(balances) | unfinished)
    # Standing lapses on its own: settle the suspension holds as of now first.
    suspended_holds = set(
        PayoutHold.objects.filter(
            kind=PayoutHold.Kind.SUSPENDED, released_at__isnull=True
        ).values_list("creator_id", flat=True)
    )
    for creator_id in standing.barred(creators) ^ (suspended_holds & set(creators)):
        standing.payout_hold_sync(account_id=creator_id)
    held = set(
        PayoutHold.objects.filter(creator_id__in=creators, released_at__isnull=True).values_list(
            "creator_id", flat=True
        )
    )
    accounts = {
        row.account_id: row
        for row in ConnectAccount.objects.filter(account_id__in=creators, payouts_enabled=True)
    }
    report = BatchReport(period=period)
    for done, creator_id in enumerate(creators, start=1):
        _pay_one(
            batch,
            creator_id,
            balances.get(creator_id, 0),
            creator_id in held,
            accounts.get(creator_id),
            report,
        )
        if progress is not None:
            progress(done, len(creators))
    if report.pending == 0:
        totals = Payout.objects.filter(batch=batch, state=Payout.State.PAID).aggregate(
            amount=Sum("amount")
        )
        PayoutBatch.objects.filter(pk=batch.pk).update(
            finished_at=batch.finished_at or timezone.now(),
            creators_paid=Payout.objects.filter(batch=batch, state=Payout.State.PAID).count(),
            creators_held=report.held,
            amount_paid=int(totals["amount"] or 0),
        )
    logger.info(
        "payout batch %s: %d paid, %d held, %d pending, %d failed",
        f"{period:%Y-%m}",
        report.paid,
        report.held,
        report.pending,
        report.failed,
    )
    return report


def _pay_one(batch, creator_id, balance, is_held, connect, report: BatchReport) -> None:
    payout = Payout.objects.filter(batch=batch, creator_id=creator_id).first()
    if payout is not None and payout.state == Payout.State.PAID:
        report.already_paid += 1
        return
    resumed = payout is not None
    if payout is None:
        if is_held:
            report.held += 1
            return
        if connect is None:
            report.not_onboarded += 1
            return
        if balance < settings.BILLING_PAYOUT_MINIMUM:
            report.below_minimum += 1
            return
        with transaction.atomic():
            payout, _ = Payout.objects.get_or_create(
                batch=batch,
                creator_id=creator_id,
                defaults={
                    "amount": balance,
                    "currency": settings.BILLING_CURRENCY,
                    "idempotency_key": payout_key(creator_id, batch.period),
                },
            )
    elif payout.state == Payout.State.FAILED:
        return
    # A pending payout is finished with its own amount and key, hold or not: Stripe may
    # already have made its transfer.
    destination = connect or ConnectAccount.objects.filter(account_id=creator_id).first()
    if destination is None:
        report.pending += 1
        return
    try:
        transfer = _transfer(payout, destination.stripe_id, look_first=resumed)
    except stripe.InvalidRequestError as error:
        Payout.objects.filter(pk=payout.pk).update(
            state=Payout.State.FAILED, error=str(error.user_message or error)[:2000]
        )
        report.failed += 1
        report.errors.append(f"{creator_id}: {error.user_message or error}")
        return
    except stripe.StripeError as error:
        report.pending += 1
        report.errors.append(f"{creator_id}: {error}")
        return
    payout_record_paid(payout=payout, transfer_id=transfer["id"])
    report.paid += 1
    report.amount += payout.amount


def _transfer(payout: Payout, destination: str, *, look_first: bool) -> dict:
    """The payout's transfer: made now, or (``look_first``: a payout an earlier run left
    pending) found at Stripe by its group, since Stripe forgets idempotency keys after a day."""
    client = stripe_api.client()
    if look_first:
        existing = client.v1.transfers.list({"transfer_group": payout.idempotency_key, "limit": 1})
        if existing.data:
            return existing.data[0].to_dict()
    remote = client.v1.transfers.create(
        {
            "amount": payout.amount,
            "currency": payout.currency,
            "destination": destination,
            "transfer_group": payout.idempotency_key,
            "description": _("Agora earnings for %(period)s")
            % {"period": f"{payout.batch.period:%Y-%m}"},
            "metadata": {
                "agora_payout_id": str(payout.pk),
                "agora_creator_id": str(payout.creator_id),
                "agora_period": f"{payout.batch.period:%Y-%m}",
            },
        },
        {"idempotency_key": payout.idempotency_key},
    )
    return remote.to_dict()


def payout_record_paid(*, payout: Payout, transfer_id: str) -> bool:
    """Mark a payout paid by ``transfer_id`` and post its ledger entry (once)."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().select_related("batch").get(pk=payout.pk)
        if payout.state == Payout.State.PAID:
            return False
        payout.state = Payout.State.PAID
        payout.stripe_transfer_id = transfer_id
        payout.error = ""
        payout.save(update_fields=["state", "stripe_transfer_id", "error", "updated_at"])
        ledger.post(
            creator_id=payout.creator_id,
            kind=LedgerEntry.Kind.PAYOUT,
            amount=-payout.amount,
            currency=payout.currency,
            source=f"payout:{payout.idempotency_key}",
            description=_("Payout for %(period)s") % {"period": f"{payout.batch.period:%Y-%m}"},
            stripe_id=transfer_id,
            payout_id=payout.pk,
        )
        events.publish(
            events.PayoutSent(
                account_id=payout.creator_id,
                amount=payout.amount,
                currency=payout.currency,
                transfer=transfer_id,
                period=f"{payout.batch.period:%Y-%m}",
            )
        )
    return True


def payout_record_reversed(*, transfer: dict) -> bool:
    """A payout's transfer was reversed at Stripe: the money is owed again."""
    payout = Payout.objects.filter(stripe_transfer_id=transfer.get("id")).first()
    reversed_amount = int(transfer.get("amount_reversed") or 0)
    if payout is None or reversed_amount <= 0:
        return False
    with transaction.atomic():
        prefix = f"payout-reversal:{payout.idempotency_key}:"
        amount = reversed_amount - ledger.posted(prefix)
        ledger.post(
            creator_id=payout.creator_id,
            kind=LedgerEntry.Kind.PAYOUT_REVERSAL,
            amount=amount,
            currency=payout.currency,
            source=f"{prefix}{reversed_amount}",
            description=_("Payout returned by Stripe"),
            stripe_id=str(transfer.get("id")),
            payout_id=payout.pk,
        )
        Payout.objects.filter(pk=payout.pk).update(state=Payout.State.REVERSED)
    return True
