"""Reads of the review side: the queue, a case's evidence and history, reporter trust, rules."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import Standing, User
from apps.moderation.models import Assessment, Case, Report, Rule, Strike
from core import reputation


def review_queue() -> QuerySet[Case]:
    """Open cases, highest priority first, then the oldest."""
    return Case.objects.open().select_related("assigned_to").queue_order()


def rules_list() -> QuerySet[Rule]:
    return Rule.objects.all()


def reporter_trust(*, reporter_id: int) -> float:
    """How much a reporter's next report weighs, 0..1: their upheld share, smoothed, times
    how far the platform trusts the account.

    The record: a reporter starts at 0.5; every upheld report moves it up, every rejected
    one down (Laplace's rule of succession: (upheld + 1) / (decided + 2)). The platform's
    trust (:mod:`core.reputation`) scales it around the neutral score: a neutral account's
    record counts as it is, an established one's up to twice, a new or low-trust one's
    less (a fresh account's report on a rival weighs little), capped at 1.
    """
    counts = Report.objects.filter(reporter_id=reporter_id).aggregate(
        upheld=Count("pk", filter=Q(outcome=Report.Outcome.UPHELD)),
        rejected=Count("pk", filter=Q(outcome=Report.Outcome.REJECTED)),
    )
    record = (counts["upheld"] + 1) / (counts["upheld"] + counts["rejected"] + 2)
    standing = reputation.trust_of(reporter_id).score / reputation.NEUTRAL.score
    return round(min(1.0, record * standing), 4)


def sla_hours(band: str) -> float:
    return float(settings.MODERATION_SLA_HOURS.get(band, settings.MODERATION_SLA_HOURS["low"]))


def sla_due(case: Case) -> dt.datetime:
    start = case.created_at or timezone.now()
    return start + dt.timedelta(hours=sla_hours(case.priority_band))


def case_assessments(case: Case) -> QuerySet[Assessment]:
    return Assessment.objects.filter(
        content_type=case.content_type, content_id=case.content_id
    ).order_by("-created_at")


def case_reports(case: Case) -> QuerySet[Report]:
    return case.reports.select_related("reporter").prefetch_related("rules").order_by("id")


# A case grouping a pile-on (protection's ``PileOnDetected``): its content id is the
# shield's, its author the account piled on; its subjects are the hostile strangers.
PILE_ON = "pile_on"


def _pile_on_senders(case: Case) -> dict[int, list[int]]:
    """The pile-on's hostile strangers and what each sent (protection keeps them)."""
    from apps.protection.selectors import pile_on_senders

    return pile_on_senders(shield_id=case.content_id)


def case_status_ids(case: Case) -> list[int]:
    """The statuses a decision on the case applies to: its own (a pile-on's: every hostile
    stranger's) and those its reports name."""
    ids: set[int] = set()
    if case.content_type == "status":
        ids.add(case.content_id)
    elif case.content_type == PILE_ON:
        ids.update(i for status_ids in _pile_on_senders(case).values() for i in status_ids)
    for status_ids in case.reports.values_list("status_ids", flat=True):
        ids.update(int(i) for i in status_ids or ())
    return sorted(ids)


def case_subjects(case: Case) -> dict[int, list[int]]:
    """Whom an account decision (warn, limit, suspend) and its strike apply to, each with
    the statuses named in the strike: the author, or each of a pile-on's hostile strangers
    (never the account piled on)."""
    if case.content_type == PILE_ON:
        return _pile_on_senders(case)
    return {case.author_id: case_status_ids(case)}


def author_strikes(author_id: int) -> QuerySet[Strike]:
    return Strike.objects.filter(account_id=author_id).order_by("-id")


def author_prior_cases(case: Case) -> QuerySet[Case]:
    return Case.objects.filter(author_id=case.author_id).exclude(pk=case.pk).order_by("-id")


def queue_sizes() -> dict[str, int]:
    """Open cases per priority band (the ``moderation_queue_size`` gauge), in one query."""
    high, medium = Case.PRIORITY_BANDS
    return Case.objects.open().aggregate(
        high=Count("pk", filter=Q(priority__gte=high)),
        medium=Count("pk", filter=Q(priority__gte=medium, priority__lt=high)),
        low=Count("pk", filter=Q(priority__lt=medium)),
    )


def queue_stats(*, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Open cases per priority band, and those past their SLA (``sla_due_at``), in one query.

    ``{"sizes": {"high": n, ...}, "overdue": {"high": n, ...}}``: the
    ``moderation_queue_size`` and ``moderation_queue_overdue`` gauges.
    """
    high, medium = Case.PRIORITY_BANDS
    bands = {
        "high": Q(priority__gte=high),
        "medium": Q(priority__gte=medium, priority__lt=high),
        "low": Q(priority__lt=medium),
    }
    overdue = Q(sla_due_at__lt=now)
    found = Case.objects.open().aggregate(
        **{band: Count("pk", filter=where) for band, where in bands.items()},
        **{f"{band}_overdue": Count("pk", filter=where & overdue) for band, where in bands.items()},
    )
    return {
        "sizes": {band: found[band] for band in bands},
        "overdue": {band: found[f"{band}_overdue"] for band in bands},
    }


def restrictions_of(account_ids) -> dict[int, Standing]:
    """The standing in force of each account (``none`` without one), in one query."""
    ids = list(account_ids)
    found = {
        account.pk: account.standing_in_force
        for account in User.objects.filter(pk__in=ids).only("standing", "standing_until")
    }
    return {pk: found.get(pk, Standing.NONE) for pk in ids}
