"""Billing's reads: plans on offer and an account's subscription."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from apps.billing.models import (
    DUNNING,
    PAYING,
    ConnectAccount,
    CreatorTier,
    LedgerEntry,
    Notice,
    Payout,
    PayoutHold,
    Plan,
    Subscription,
)


def plans_offered() -> QuerySet[Plan]:
    return Plan.objects.filter(active=True)


def plan_by_price(price_id: str) -> Plan | None:
    return Plan.objects.filter(stripe_price_id=price_id).first()


def subscription_current(account_id: int) -> Subscription | None:
    """The account's subscription that matters now.

    The one granting a plan if any (the richest plan when several do), else the
    latest one, so the account sees a lapsed or cancelled plan as such.
    """
    subscriptions = list(
        Subscription.objects.filter(account_id=account_id, kind=Subscription.Kind.PLATFORM)
        .select_related("plan")
        .order_by("-created_at", "-pk")[:20]
    )
    now = timezone.now()
    granting = [s for s in subscriptions if s.grants_plan(now)]
    if granting:
        return max(granting, key=lambda s: (s.status in PAYING, s.plan.max_status_characters))  # type: ignore[union-attr]
    return subscriptions[0] if subscriptions else None


def subscription_open(account_id: int, *, creator_id: int | None = None) -> Subscription | None:
    """The account's subscription that is paying or in dunning (not ended): to a
    platform plan, or with ``creator_id`` to that creator's tiers."""
    subscriptions = Subscription.objects.filter(
        account_id=account_id, status__in=[*PAYING, *DUNNING]
    )
    if creator_id is None:
        subscriptions = subscriptions.filter(kind=Subscription.Kind.PLATFORM)
    else:
        subscriptions = subscriptions.filter(kind=Subscription.Kind.CREATOR, creator_id=creator_id)
    return subscriptions.order_by("-created_at").first()


def membership(fan_id: int, creator_id: int) -> Subscription | None:
    """The fan's subscription that makes them a member of one of the creator's tiers now."""
    now = timezone.now()
    candidates = (
        Subscription.objects.filter(
            account_id=fan_id,
            creator_id=creator_id,
            kind=Subscription.Kind.CREATOR,
            status__in=[*PAYING, *DUNNING],
        )
        .select_related("creator_tier")
        .order_by("-created_at")
    )
    return next((s for s in candidates if s.grants_plan(now)), None)


def member_creator_ids(fan_id: int) -> tuple[set[int], dt.datetime | None]:
    """The creators the fan is a paying member of now (paying, or in dunning's grace),
    and the earliest end of a grace period among them (when the answer may change)."""
    now = timezone.now()
    rows = Subscription.objects.filter(
        Q(status__in=list(PAYING)) | Q(status__in=list(DUNNING), grace_until__gt=now),
        account_id=fan_id,
        kind=Subscription.Kind.CREATOR,
        creator_tier__isnull=False,
    ).values_list("creator_id", "grace_until")
    creators = {creator_id for creator_id, _grace in rows if creator_id is not None}
    ends = [grace for _creator, grace in rows if grace is not None]
    return creators, min(ends, default=None)


def tier_by_price(price_id: str) -> CreatorTier | None:
    return CreatorTier.objects.filter(stripe_price_id=price_id).select_related("creator").first()


def tiers_of(creator_id: int, *, include_retired: bool = False) -> QuerySet[CreatorTier]:
    tiers = CreatorTier.objects.filter(creator_id=creator_id)
    return tiers if include_retired else tiers.filter(active=True)


def notices_recent(account_id: int, *, limit: int = 20) -> list[Notice]:
    return list(Notice.objects.filter(account_id=account_id)[:limit])


# Creators' earnings ---------------------------------------------------------------


def connect_account(account_id: int) -> ConnectAccount | None:
    return ConnectAccount.objects.filter(account_id=account_id).first()


def period_bounds(period: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(period.replace(day=1), dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(
        (period.replace(day=1) + dt.timedelta(days=32)).replace(day=1), dt.time.min, tzinfo=dt.UTC
    )
    return start, end


def ledger_lines(creator_id: int, period: dt.date | None = None) -> QuerySet[LedgerEntry]:
    """The creator's ledger entries (of ``period``'s month), with their payouts."""
    entries = LedgerEntry.objects.filter(creator_id=creator_id).select_related("payout")
    if period is not None:
        start, end = period_bounds(period)
        entries = entries.filter(occurred_at__gte=start, occurred_at__lt=end)
    return entries


@dataclass(frozen=True)
class Statement:
    currency: str
    period: dt.date
    opening_balance: int
    closing_balance: int
    balance: int
    totals: dict[str, int]
    holds: list[PayoutHold]
    payouts: list[Payout]
    onboarding: str


def statement(creator_id: int, period: dt.date) -> Statement:
    """The creator's earnings for ``period``'s month: balances, totals by kind, holds, payouts."""
    currency = settings.BILLING_CURRENCY
    start, end = period_bounds(period)
    entries = LedgerEntry.objects.filter(creator_id=creator_id, currency=currency)
    sums = entries.aggregate(
        opening=Sum("amount", filter=Q(occurred_at__lt=start)),
        closing=Sum("amount", filter=Q(occurred_at__lt=end)),
        now=Sum("amount"),
    )
    totals = {
        row["kind"]: int(row["total"] or 0)
        for row in entries.filter(occurred_at__gte=start, occurred_at__lt=end)
        .values("kind")
        .annotate(total=Sum("amount"))
        .order_by("kind")
    }
    connect = connect_account(creator_id)
    return Statement(
        currency=currency,
        period=period.replace(day=1),
        opening_balance=int(sums["opening"] or 0),
        closing_balance=int(sums["closing"] or 0),
        balance=int(sums["now"] or 0),
        totals=totals,
        holds=list(PayoutHold.objects.filter(creator_id=creator_id, released_at__isnull=True)),
        payouts=list(
            Payout.objects.filter(creator_id=creator_id)
            .select_related("batch")
            .order_by("-batch__period")[:12]
        ),
        onboarding=connect.state if connect is not None else "none",
    )
