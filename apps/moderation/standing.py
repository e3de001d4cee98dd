"""Moderation's part of the standing page (:mod:`core.standing`): its decisions and strikes.

Accounts says what the standing is; this says which decision of moderation's set it,
so the account sees the record a moderator would look up: the strike policy's own
restriction (:class:`~apps.moderation.models.PolicyRestriction`, automated), or the
strike a moderator's limit, suspension or disabling gave (its id and its case). A
standing moderation did not set (an operator's) is left as accounts explains it.
Strikes are listed as Mastodon's account warnings; content the feed says is hidden or
removed is explained by the case about it, or the automated assessment that hid it.
"""

from __future__ import annotations

import dataclasses

from apps.accounts.models import Standing, StandingSource, User
from apps.moderation.models import Assessment, Case, CaseAction, PolicyRestriction, Strike
from apps.moderation.models import Decision as AutomatedDecision
from core import standing
from core.standing import AccountWarning, ContentLimitation, Decision

# The strike a moderator's decision on the standing gives (services.standing, services.cases).
STRIKE_FOR_STANDING = {
    Standing.LIMITED: Strike.Action.SILENCE,
    Standing.SUSPENDED: Strike.Action.SUSPEND,
    Standing.DISABLED: Strike.Action.DISABLE,
}
# Strikes listed on the page: the newest (they expire, and the page is not an archive).
WARNINGS_SHOWN = 50


def _strike_source(strike: Strike) -> str:
    return standing.Source.HUMAN if strike.created_by_id else standing.Source.AUTOMATED


def standing_explain(account: User, decision: Decision | None) -> Decision | None:
    """Refine accounts' ``decision`` with the moderation record that set the standing.

    One or two queries, only for an account moderation restricted.
    """
    if decision is None or account.standing_source != StandingSource.MODERATION:
        return decision
    current = account.standing_in_force
    policy = PolicyRestriction.objects.filter(account_id=account.pk).first()
    if policy is not None and policy.restriction == current:
        return dataclasses.replace(
            decision,
            rule="strike_policy",
            source=standing.Source.AUTOMATED,
            kind="strike_policy",
            id=str(account.pk),
        )
    strike = (
        Strike.objects.filter(account_id=account.pk, action=STRIKE_FOR_STANDING.get(current))
        .order_by("-created_at", "-pk")
        .first()
    )
    if strike is None:
        return decision
    return dataclasses.replace(
        decision,
        rule="moderator_decision",
        reason=strike.text or decision.reason,
        source=_strike_source(strike),
        kind="strike",
        id=str(strike.pk),
        case_id=str(strike.case_id) if strike.case_id else None,
    )


def strike_warnings(account: User) -> list[AccountWarning]:
    """The account's newest strikes, each with the decision that gave it (one query)."""
    strikes = Strike.objects.filter(account_id=account.pk).order_by("-created_at", "-pk")
    return [
        AccountWarning(
            id=str(strike.pk),
            action=strike.action,
            text=strike.text,
            created_at=strike.created_at,
            expires_at=strike.expires_at,
            is_active=strike.is_active,
            status_ids=tuple(str(status_id) for status_id in strike.status_ids),
            decision=Decision(
                rule="strike",
                reason=strike.text or str(Strike.Action(strike.action).label),
                source=_strike_source(strike),
                kind="strike",
                id=str(strike.pk),
                case_id=str(strike.case_id) if strike.case_id else None,
                since=strike.created_at,
                until=strike.expires_at,
            ),
        )
        for strike in strikes[:WARNINGS_SHOWN]
    ]


def _latest_by_content(rows) -> dict[tuple[str, int], object]:
    """The first row of each (content_type, content_id) of ``rows`` (ordered newest first)."""
    latest: dict[tuple[str, int], object] = {}
    for row in rows:
        latest.setdefault((row.content_type, row.content_id), row)
    return latest


def _case_decision(case: Case, decision: Decision) -> Decision | None:
    """Who hid or removed content, by the case about it; None if the case did not."""
    if case.state == Case.State.OPEN and case.hidden:
        return dataclasses.replace(
            decision,
            rule="hidden_until_reviewed",
            source=standing.Source.AUTOMATED,
            kind="case",
            id=str(case.pk),
            case_id=str(case.pk),
            since=case.created_at,
        )
    if case.state == Case.State.RESOLVED and (
        case.hidden or case.resolution in (CaseAction.HIDE, CaseAction.REMOVE)
    ):
        return dataclasses.replace(
            decision,
            rule="moderator_decision",
            reason=case.resolution_reason or decision.reason,
            source=standing.Source.HUMAN if case.resolved_by_id else standing.Source.AUTOMATED,
            kind="case",
            id=str(case.pk),
            case_id=str(case.pk),
            since=case.resolved_at,
        )
    return None


def content_explain(account: User, found: list[ContentLimitation]) -> list[ContentLimitation]:
    """Name the case (a moderator's decision, or content hidden until reviewed) or the
    automated assessment that hid or removed each piece of ``found``. Two queries."""
    if not found:
        return found
    ids = [int(item.content_id) for item in found]
    types = {item.content_type for item in found}
    cases = _latest_by_content(
        Case.objects.filter(content_type__in=types, content_id__in=ids).order_by(
            "-created_at", "-pk"
        )
    )
    assessments = _latest_by_content(
        Assessment.objects.filter(
            content_type__in=types,
            content_id__in=ids,
            decision__in=(AutomatedDecision.HIDE, AutomatedDecision.REMOVE),
        )
        .only("pk", "content_type", "content_id", "created_at")
        .order_by("-created_at", "-pk")
    )
    explained = []
    for item in found:
        key = (item.content_type, int(item.content_id))
        case = cases.get(key)
        decision = _case_decision(case, item.decision) if isinstance(case, Case) else None
        assessment = assessments.get(key)
        if decision is None and isinstance(assessment, Assessment):
            decision = dataclasses.replace(
                item.decision,
                rule="automated_moderation",
                source=standing.Source.AUTOMATED,
                kind="assessment",
                id=str(assessment.pk),
                since=assessment.created_at,
            )
        explained.append(dataclasses.replace(item, decision=decision or item.decision))
    return explained


def connect() -> None:
    """Register with :mod:`core.standing` (``ModerationConfig.ready``)."""
    standing.register_explainer(standing_explain)
    standing.register_warnings(strike_warnings)
    standing.register_content_explainer(content_explain)
