"""Live's part of the standing page (:mod:`core.standing`): the live directory.

The directory lists what is live (``selectors.streams_live``): streams of accounts
able to act only, so a suspended or disabled account is hidden from it; a limited
account's streams are listed to its followers only (limited, with its standing's decision). An account
staff restricted from going live (:class:`~apps.live.models.LiveRestriction`) cannot
start a stream (``services.live_refusal``), so it is kept out of it as long as the
restriction holds; both read :func:`~apps.live.services.allowances.live_restriction_in_force`.
"""

from __future__ import annotations

from typing import Any

from apps.live.services.allowances import live_restriction_in_force
from core import standing
from core.standing import LIVE_DIRECTORY, Decision, Limitation

BARRED = Decision(
    rule="deactivated",
    reason="The account is deactivated.",
    source=standing.Source.HUMAN,
    kind="account",
)


def live_limitations(account: Any, decision: Decision | None) -> list[Limitation]:
    """Whether the live directory limits or hides ``account``; ``decision``: its standing's."""
    if not account.is_able_to_act:
        return [Limitation(LIVE_DIRECTORY, standing.State.HIDDEN, decision or BARRED)]
    found = []
    if account.is_limited and decision is not None:
        # streams_live lists a limited account's streams to its followers only
        found.append(Limitation(LIVE_DIRECTORY, standing.State.LIMITED, decision))
    restriction = live_restriction_in_force(account)
    if restriction is None:
        return found
    why = Decision(
        rule="live_restriction",
        reason=f"You may not go live: {restriction.reason}",
        source=standing.Source.HUMAN,
        kind="live_restriction",
        id=str(restriction.pk),
        since=restriction.created_at,
        until=restriction.until,
    )
    return [*found, Limitation(LIVE_DIRECTORY, standing.State.LIMITED, why)]


def connect() -> None:
    """Register with :mod:`core.standing` (``LiveConfig.ready``)."""
    standing.register_provider(live_limitations)
