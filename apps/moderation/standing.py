"""Moderation's part of the standing page (:mod:`core.standing`): its decisions and strikes.

Accounts says what the standing is; this says which decision of moderation's set it,
so the account sees the record a moderator would look up: the strike policy's own
restriction (:class:`~apps.moderation.models.PolicyRestriction`, automated), or the
strike a moderator's limit, suspension or disabling gave (its id and its case). A
standing moderation did not set (an operator's) is left as accounts explains it.
Strikes are listed as Mastodon's account warnings.
"""

from __future__ import annotations

import dataclasses

from apps.accounts.models import Standing, StandingSource, User
from apps.moderation.models import PolicyRestriction, Strike
from core import standing
from core.standing import AccountWarning, Decision

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


def connect() -> None:
    """Register with :mod:`core.standing` (``ModerationConfig.ready``)."""
    standing.register_explainer(standing_explain)
    standing.register_warnings(strike_warnings)
