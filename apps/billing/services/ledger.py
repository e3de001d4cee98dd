"""Posting to the creators' ledger: revenue, what Stripe already paid, reversals, watch time.

Each posting names its cause in ``source`` (unique): posting a cause twice posts once.
Amounts are integers in minor units; a fraction of a cent is never owed.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.models import LedgerEntry, WatchTime

logger = logging.getLogger(__name__)

Kind = LedgerEntry.Kind


def post(
    *,
    creator_id: int,
    kind: str,
    amount: int,
    currency: str,
    source: str,
    description: str,
    stripe_id: str = "",
    occurred_at: dt.datetime | None = None,
    payout_id: int | None = None,
) -> LedgerEntry | None:
    """Append one entry; ``None`` when its ``source`` was posted already (or it is zero)."""
    if amount == 0 or LedgerEntry.objects.filter(source=source).exists():
        return None
    entry = LedgerEntry(
        creator_id=creator_id,
        kind=kind,
        amount=amount,
        currency=currency.lower(),
        source=source[:255],
        description=description[:255],
        stripe_id=stripe_id,
        occurred_at=occurred_at or timezone.now(),
        payout_id=payout_id,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:  # posted at the same moment by another worker
        return None
    return entry


def entries_of(creator_id: int) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(creator_id=creator_id)


def payable_q(cutoff: dt.datetime) -> Q:
    """Entries a payout at ``cutoff`` settles: all earned or taken back before it, and
    every payout ever made (payouts only ever pay what was earned before their cutoff)."""
    return Q(occurred_at__lt=cutoff) | Q(kind__in=[Kind.PAYOUT, Kind.PAYOUT_REVERSAL])


def balance(
    creator_id: int, *, currency: str | None = None, cutoff: dt.datetime | None = None
) -> int:
    """What Agora owes the creator now (or for a payout at ``cutoff``)."""
    entries = entries_of(creator_id).filter(currency=currency or settings.BILLING_CURRENCY)
    if cutoff is not None:
        entries = entries.filter(payable_q(cutoff))
    return int(entries.aggregate(total=Sum("amount"))["total"] or 0)


def posted(source_prefix: str) -> int:
    """The sum already posted for causes whose source starts with ``source_prefix``."""
    total = LedgerEntry.objects.filter(source__startswith=source_prefix).aggregate(t=Sum("amount"))
    return int(total["t"] or 0)


def share_of(amount: int, *, part: int, whole: int) -> int:
    """``amount × part ÷ whole``, rounded down to the minor unit."""
    if whole <= 0:
        return 0
    return int((Decimal(amount) * Decimal(part) / Decimal(whole)).to_integral_value(ROUND_DOWN))


# Watch time ---------------------------------------------------------------------


def watch_revenue(seconds: int) -> int:
    """Watch-time revenue of ``seconds`` watched: seconds × CPM ÷ 1,000 ÷ 60 × share, down."""
    value = (
        Decimal(seconds)
        * Decimal(settings.BILLING_WATCH_CPM)
        / Decimal(1000)
        / Decimal(60)
        * Decimal(str(settings.BILLING_WATCH_REVENUE_SHARE))
    )
    return int(value.to_integral_value(ROUND_DOWN))


def watch_time_record(
    *, viewer_id: int, creator_id: int, source: str, day: dt.date, seconds: int
) -> int:
    """Record that ``viewer`` has watched ``seconds`` in all of ``source`` on ``day`` so far.

    Recorders send running totals, so a repeated or late report never counts twice
    (the larger total wins). The creator's own views count nothing, and one viewer
    counts at most ``BILLING_WATCH_CAP_SECONDS`` a day for one creator, all sources
    together. Answers the seconds this report added.
    """
    if viewer_id == creator_id or seconds <= 0:
        return 0
    cap = settings.BILLING_WATCH_CAP_SECONDS
    with transaction.atomic():
        row, _ = WatchTime.objects.select_for_update().get_or_create(
            viewer_id=viewer_id, creator_id=creator_id, day=day, source=source[:100]
        )
        others = (
            WatchTime.objects.filter(viewer_id=viewer_id, creator_id=creator_id, day=day)
            .exclude(pk=row.pk)
            .aggregate(total=Sum("seconds"))["total"]
            or 0
        )
        allowed = max(0, cap - others)
        new = min(max(row.seconds, seconds), max(row.seconds, allowed))
        added = new - row.seconds
        if added > 0:
            WatchTime.objects.filter(pk=row.pk).update(seconds=F("seconds") + added)
    return added


def watch_time_accrue(*, until: dt.date) -> int:
    """Post watch-time revenue for each creator and day before ``until`` not yet posted.

    A day's entry is computed from its whole total, minus what earlier runs posted for
    that day, so late reports add their part and rounding never drifts. Answers how many
    entries were posted.
    """
    pending = (
        WatchTime.objects.filter(day__lt=until, seconds__gt=F("accrued_seconds"))
        .values("creator_id", "day")
        .distinct()
        .order_by("day", "creator_id")
    )
    count = 0
    for group in pending.iterator():
        with transaction.atomic():
            rows = list(
                WatchTime.objects.select_for_update().filter(
                    creator_id=group["creator_id"], day=group["day"]
                )
            )
            total = sum(row.seconds for row in rows)
            prefix = f"watch:{group['creator_id']}:{group['day'].isoformat()}:"
            amount = watch_revenue(total) - posted(prefix)
            entry = post(
                creator_id=group["creator_id"],
                kind=Kind.WATCH_TIME,
                amount=amount,
                currency=settings.BILLING_CURRENCY,
                source=f"{prefix}{total}",
                description=_("%(minutes)d minutes watched on %(day)s")
                % {"minutes": total // 60, "day": group["day"].isoformat()},
                occurred_at=dt.datetime.combine(group["day"], dt.time(23, 59, 59), tzinfo=dt.UTC),
            )
            WatchTime.objects.filter(pk__in=[row.pk for row in rows]).update(
                accrued_seconds=F("seconds")
            )
            count += entry is not None
    return count
