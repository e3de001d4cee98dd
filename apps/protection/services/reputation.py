"""Reputation: each account's trust score, added up from what the platform knows of it.

The score is a sum of signed parts on a base, clamped to 0..1 and rounded to two
places (so that the slow daily growth with age does not write history every hour):

======================  =============================================================
part                    contribution
======================  =============================================================
base                    ``BASE`` (0.3): an account nothing is known of
age                     up to +0.30, growing linearly to full at ``AGE_FULL_DAYS`` (90)
followers               up to +0.15, log-scaled to full at ``FOLLOWERS_FULL`` (100)
established_followers   up to +0.15, full at ``ESTABLISHED_FOLLOWERS_FULL`` (5)
                        followers that are themselves established
reports                 -0.10..+0.10: the reporter's upheld share of its decided
                        reports, smoothed ((upheld + 1) / (decided + 2) - 0.5) * 0.2
strikes                 -0.15 a strike of the last ``PROTECTION_STRIKE_DAYS``, at most -0.45
blocks                  down to -0.30: blocks received (from accounts past their new
                        days, so fresh sock puppets cannot sink anyone) against
                        followers, -0.3 * min(1, blocks / (followers + 5))
======================  =============================================================

The level: ``new`` while younger than ``PROTECTION_NEW_ACCOUNT_DAYS``, then ``low``
under ``PROTECTION_LOW_SCORE``, ``established`` from ``PROTECTION_ESTABLISHED_SCORE``
for an account at least ``PROTECTION_ESTABLISHED_DAYS`` old, ``normal`` otherwise.

An account gets a :class:`~apps.protection.models.Reputation` row once anything but
its age speaks (a follower, a block, a strike, a decided report); until then it is
scored from its age alone, without writing (:func:`trust_many`). Each actual change of
score or level writes a history row, publishes ``ReputationChanged`` and counts in
``reputation_changes_total{level}``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from apps.feed.models import Block, Follow
from apps.protection.metrics import reputation_changes_total
from apps.protection.models import Reputation, ReputationHistory, ReputationSignal, TrustLevel
from core import audit, events
from core.reputation import Level, Trust

User = get_user_model()

BASE = 0.3
AGE_WEIGHT, AGE_FULL_DAYS = 0.30, 90
FOLLOWERS_WEIGHT, FOLLOWERS_FULL = 0.15, 100
ESTABLISHED_FOLLOWERS_WEIGHT, ESTABLISHED_FOLLOWERS_FULL = 0.15, 5
REPORTS_WEIGHT = 0.2  # times (smoothed upheld share - 0.5): -0.1..+0.1
STRIKE_PENALTY, STRIKES_MAX_PENALTY = 0.15, 0.45
BLOCKS_WEIGHT, BLOCKS_FOLLOWER_CUSHION = 0.30, 5

SWEEP_BATCH = 500


@dataclass(frozen=True)
class Inputs:
    """What an account's score is computed from (kept with the score, for moderators)."""

    age_days: float
    followers: int = 0
    established_followers: int = 0
    blocks: int = 0
    strikes: int = 0
    reports_upheld: int = 0
    reports_rejected: int = 0

    @property
    def is_age_only(self) -> bool:
        """Nothing but the account's age is known of it."""
        return not (
            self.followers or self.blocks or self.strikes
            or self.reports_upheld or self.reports_rejected
        )  # fmt: skip


def score_parts(inputs: Inputs) -> dict[str, float]:
    """Each component's signed contribution to the score (see the module's table)."""
    decided = inputs.reports_upheld + inputs.reports_rejected
    parts = {
        "base": BASE,
        "age": AGE_WEIGHT * min(1.0, max(0.0, inputs.age_days) / AGE_FULL_DAYS),
        "followers": FOLLOWERS_WEIGHT
        * min(1.0, math.log1p(inputs.followers) / math.log1p(FOLLOWERS_FULL)),
        "established_followers": ESTABLISHED_FOLLOWERS_WEIGHT
        * min(1.0, inputs.established_followers / ESTABLISHED_FOLLOWERS_FULL),
        "reports": REPORTS_WEIGHT * ((inputs.reports_upheld + 1) / (decided + 2) - 0.5),
        "strikes": -min(STRIKES_MAX_PENALTY, STRIKE_PENALTY * inputs.strikes),
        "blocks": -BLOCKS_WEIGHT
        * min(1.0, inputs.blocks / (inputs.followers + BLOCKS_FOLLOWER_CUSHION)),
    }
    return {name: round(value, 4) for name, value in parts.items()}


def score_of(parts: dict[str, float]) -> float:
    """The parts' sum, clamped to 0..1 and rounded to two places."""
    return round(min(1.0, max(0.0, sum(parts.values()))), 2)


def level_for(*, score: float, age_days: float) -> str:
    """The level the platform acts on, from the score and the account's age."""
    if age_days < settings.PROTECTION_NEW_ACCOUNT_DAYS:
        return Level.NEW
    if score < settings.PROTECTION_LOW_SCORE:
        return Level.LOW
    if (
        score >= settings.PROTECTION_ESTABLISHED_SCORE
        and age_days >= settings.PROTECTION_ESTABLISHED_DAYS
    ):
        return Level.ESTABLISHED
    return Level.NORMAL


def _age_days(date_joined: dt.datetime, now: dt.datetime) -> float:
    return (now - date_joined).total_seconds() / 86400


def age_only_score(*, age_days: float) -> float:
    """The score of an account nothing but its age is known of."""
    return score_of(score_parts(Inputs(age_days=age_days)))


# Reading ---------------------------------------------------------------------------


def trust_many(account_ids: list[int]) -> dict[int, Trust]:
    """Protection's answer to :mod:`core.reputation`: trust for many accounts, one query.

    The stored score where there is one, else the age-only score; the level is worked
    out now from that score and the account's age (so ``new`` ends on the day it
    should, not at the next sweep). Unknown ids are left out (``NEUTRAL`` for core).
    """
    now = timezone.now()
    answers = {}
    rows = User.objects.filter(pk__in=account_ids).values_list(
        "pk", "date_joined", "reputation__score"
    )
    for account_id, date_joined, stored in rows:
        age = _age_days(date_joined, now)
        score = stored if stored is not None else age_only_score(age_days=age)
        answers[account_id] = Trust(score=score, level=level_for(score=score, age_days=age))
    return answers


def reputation_inputs(account_ids: Iterable[int], *, now: dt.datetime) -> dict[int, Inputs]:
    """Each existing account's :class:`Inputs`, in four queries whatever their number."""
    ids = sorted(set(account_ids))
    joined = dict(User.objects.filter(pk__in=ids).values_list("pk", "date_joined"))
    followers = {
        row["target_id"]: row
        for row in Follow.objects.filter(target_id__in=joined)
        .values("target_id")
        .annotate(
            count=Count("pk"),
            established=Count("pk", filter=Q(account__reputation__level=TrustLevel.ESTABLISHED)),
        )
        .order_by()
    }
    new_since = now - dt.timedelta(days=settings.PROTECTION_NEW_ACCOUNT_DAYS)
    blocks = dict(
        Block.objects.filter(target_id__in=joined, account__date_joined__lte=new_since)
        .values("target_id")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("target_id", "count")
    )
    strikes_since = now - dt.timedelta(days=settings.PROTECTION_STRIKE_DAYS)
    kind, outcome = ReputationSignal.Kind, ReputationSignal.Outcome
    signals = {
        row["account_id"]: row
        for row in ReputationSignal.objects.filter(account_id__in=joined)
        .values("account_id")
        .annotate(
            strikes=Count("pk", filter=Q(kind=kind.STRIKE, occurred_at__gte=strikes_since)),
            upheld=Count("pk", filter=Q(kind=kind.REPORT, outcome=outcome.UPHELD)),
            rejected=Count("pk", filter=Q(kind=kind.REPORT, outcome=outcome.REJECTED)),
        )
        .order_by()
    }
    inputs = {}
    for account_id, date_joined in joined.items():
        follows: dict[str, Any] = dict(followers.get(account_id) or {})
        signal: dict[str, Any] = dict(signals.get(account_id) or {})
        inputs[account_id] = Inputs(
            age_days=round(_age_days(date_joined, now), 2),
            followers=follows.get("count", 0),
            established_followers=follows.get("established", 0),
            blocks=blocks.get(account_id, 0),
            strikes=signal.get("strikes", 0),
            reports_upheld=signal.get("upheld", 0),
            reports_rejected=signal.get("rejected", 0),
        )
    return inputs


# Writing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    account_id: int
    previous: float
    previous_level: str
    score: float
    level: str


def reputations_recompute(
    *, account_ids: Iterable[int], reason: str, now: dt.datetime | None = None
) -> list[Change]:
    """Recompute the accounts' scores; record, publish and count each actual change.

    Idempotent: run twice on the same facts, the second run changes nothing. Locks the
    accounts' reputation rows (pk order) for the transaction; deleted accounts are
    skipped. A first row that a concurrent run created meanwhile (nothing to lock yet)
    undoes this run, which is done again once, locking that row. Returns the changes.
    """
    ids = sorted(set(account_ids))
    try:
        return _recompute(ids, reason=reason, now=now or timezone.now())
    except IntegrityError:
        return _recompute(ids, reason=reason, now=now or timezone.now())


def _recompute(ids: list[int], *, reason: str, now: dt.datetime) -> list[Change]:
    changes: list[Change] = []
    with transaction.atomic():
        current = {
            row.account_id: row
            for row in Reputation.objects.select_for_update()
            .filter(account_id__in=ids)
            .order_by("pk")
        }
        inputs = reputation_inputs(ids, now=now)
        created, updated, history = [], [], []
        for account_id, facts in inputs.items():
            row = current.get(account_id)
            if row is None and facts.is_age_only:
                continue  # scored from age alone, by trust_many, without a row
            parts = score_parts(facts)
            score = score_of(parts)
            level = level_for(score=score, age_days=facts.age_days)
            if row is None:
                previous = age_only_score(age_days=facts.age_days)
                previous_level = level_for(score=previous, age_days=facts.age_days)
                row = Reputation(account_id=account_id)
                created.append(row)
            else:
                previous, previous_level = row.score, row.level
                updated.append(row)
            row.score, row.level, row.computed_at = score, level, now
            row.components = {"inputs": asdict(facts), "parts": parts}
            if score == previous and level == previous_level:
                continue
            change = Change(account_id, previous, previous_level, score, level)
            changes.append(change)
            history.append(
                ReputationHistory(
                    account_id=account_id,
                    created_at=now,
                    previous=previous,
                    previous_level=previous_level,
                    score=score,
                    level=level,
                    reason=reason[:200],
                )
            )
            events.publish(
                events.ReputationChanged(
                    account_id=account_id,
                    score=score,
                    previous=previous,
                    level=level,
                    reason=reason,
                )
            )
        Reputation.objects.bulk_create(created)
        Reputation.objects.bulk_update(updated, ["score", "level", "components", "computed_at"])
        ReputationHistory.objects.bulk_create(history)
        levels = [change.level for change in changes]
        transaction.on_commit(lambda: _count_changes(levels))
    return changes


def _count_changes(levels: list[str]) -> None:
    for level in levels:
        reputation_changes_total.labels(level=level).inc()


def reputation_recompute(*, account_id: int, reason: str, actor=None) -> Reputation | None:
    """Recompute one account now (the admin's and the command's action), audited for staff.

    Returns its row, None when it has none (nothing but its age is known of it).
    """
    with transaction.atomic():
        before = Reputation.objects.filter(account_id=account_id).values("score", "level").first()
        reputations_recompute(account_ids=[account_id], reason=reason)
        row = Reputation.objects.filter(account_id=account_id).first()
        if actor is not None:
            audit.reputation_recomputed(
                actor=actor,
                account_id=account_id,
                before=dict(before or {}),
                after={"score": row.score, "level": row.level} if row else {},
                note=reason,
            )
    return row


def reputation_signal_record(
    *, kind: str, ref_id: int, account_id: int, outcome: str, occurred_at: dt.datetime | None = None
) -> bool:
    """Record (or, for a report decided again, update) what moderation decided.

    Idempotent, keyed by ``(kind, ref_id)``. Returns False, writing nothing, when the
    account no longer exists.
    """
    if not User.objects.filter(pk=account_id).exists():
        return False
    ReputationSignal.objects.update_or_create(
        kind=kind,
        ref_id=ref_id,
        defaults={"account_id": account_id, "outcome": outcome},
        create_defaults={
            "account_id": account_id,
            "outcome": outcome,
            "occurred_at": occurred_at or timezone.now(),
        },
    )
    return True


def reputations_sweep(
    *,
    reason: str = "sweep",
    batch_size: int = SWEEP_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Recompute every active account, a batch per transaction; returns how many changed.

    Ageing moves scores and levels with no event to tell (and follows and blocks
    publish none): the periodic ``protection.reputation_sweep`` catches them up.
    ``progress(done, total)`` is called after each batch.
    """
    ids = list(User.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        changed += len(reputations_recompute(account_ids=batch, reason=reason))
        if progress is not None:
            progress(min(start + batch_size, len(ids)), len(ids))
    return changed
