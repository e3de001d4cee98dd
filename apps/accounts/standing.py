"""The accounts app's part of the standing page (:mod:`core.standing`): the standing itself.

Accounts owns the standing (limited, suspended, disabled, with reason, source and
expiry), so it says first what the decision was from the row; moderation, which took
most such decisions, refines it with the decision's record.
"""

from __future__ import annotations

from apps.accounts.models import Standing, StandingSource, User
from core import standing

# Who set a standing, as the page names it.
_SOURCES: dict[str, str] = {
    StandingSource.MODERATION: standing.Source.HUMAN,
    StandingSource.OPERATOR: standing.Source.HUMAN,
    StandingSource.AUTOMATION: standing.Source.AUTOMATED,
}


def standing_explain(account: User, decision: standing.Decision | None) -> standing.Decision | None:
    """The account's standing in force as a decision; None in good standing (or once lapsed).

    The first explainer: it ignores ``decision``, there is none before it.
    """
    if account.standing_in_force == Standing.NONE:
        return None
    label = Standing(account.standing).label
    return standing.Decision(
        rule="account_standing",
        reason=account.standing_reason or f"Your account is {label}.",
        source=_SOURCES.get(account.standing_source, standing.Source.HUMAN),
        kind="standing",
        since=account.standing_changed_at,
        until=account.standing_until,
    )


def connect() -> None:
    """Register with :mod:`core.standing` (``AccountsConfig.ready``)."""
    standing.register_explainer(standing_explain)
