"""The account standing page: what limits the account's reach, where, why and till when.

Read from :mod:`core.standing`, whose providers the apps that apply each limit
register, written with their surfaces' own rules; protection adds what its own
reputation (:mod:`core.reputation`) does to the account's rate limits. Nothing here
decides anything: the page only tells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core import reputation, standing
from core.standing import AccountWarning, Appeal, ContentLimitation, Decision


@dataclass(frozen=True)
class Reason:
    """A decision as the page shows it, with how it can be appealed."""

    decision: Decision
    appeal: Appeal


@dataclass(frozen=True)
class SurfaceStanding:
    """One surface: the strictest state its limitations put the account in, and each of them."""

    surface: str
    state: str
    reasons: list[Reason]


@dataclass(frozen=True)
class RateLimits:
    """Whether the account's rate limits are tighter than others', and why."""

    state: str  # "standard" or "tighter"
    level: str  # core.reputation's level
    reason: Reason | None


@dataclass(frozen=True)
class WarningShown:
    warning: AccountWarning
    reason: Reason


@dataclass(frozen=True)
class ContentShown:
    content: ContentLimitation
    reason: Reason


@dataclass(frozen=True)
class StandingPage:
    standing: str
    reason: Reason | None
    surfaces: list[SurfaceStanding]
    rate_limits: RateLimits
    warnings: list[WarningShown]
    content: list[ContentShown]


# What core.reputation's levels mean for the account, in words it is shown. Which limits
# tighten, and by how much, is the throttling's (core.throttling) and may change.
_REPUTATION_REASONS = {
    reputation.Level.NEW: (
        "Your account is new: until it has been here a while, its rate limits (how often "
        "it may post, follow and reply) are tighter than established accounts'."
    ),
    reputation.Level.LOW: (
        "Your account's reputation is low: until it improves, its rate limits (how often "
        "it may post, follow and reply) are tighter than other accounts'."
    ),
}


def _reason(decision: Decision) -> Reason:
    return Reason(decision=decision, appeal=standing.appeal_for(decision))


def _rate_limits(account: Any) -> RateLimits:
    trust = reputation.trust_of(account.pk)
    if not trust.is_new_or_low:
        return RateLimits(state="standard", level=trust.level, reason=None)
    decision = Decision(
        rule="reputation",
        reason=_REPUTATION_REASONS[trust.level],
        source=standing.Source.AUTOMATED,
        kind="reputation",
    )
    return RateLimits(state="tighter", level=trust.level, reason=_reason(decision))


def account_standing_page(*, account: Any) -> StandingPage:
    """The standing page of ``account``: every surface, in :data:`core.standing.SURFACES` order.

    A surface no installed app limits is ``visible``. A handful of queries whatever
    the account's history (each provider reads at most one or two small tables).
    """
    decision = standing.standing_decision(account)
    # The six surfaces first, in order; a surface an app adds later is shown too, after them.
    reasons: dict[str, list[Reason]] = {surface: [] for surface in standing.SURFACES}
    states: dict[str, list[str]] = {surface: [] for surface in standing.SURFACES}
    for limitation in standing.limitations(account, decision):
        reasons.setdefault(limitation.surface, []).append(_reason(limitation.decision))
        states.setdefault(limitation.surface, []).append(limitation.state)
    surfaces = [
        SurfaceStanding(
            surface=surface,
            state=standing.State.strictest(states[surface]),
            reasons=reasons[surface],
        )
        for surface in reasons
    ]
    warnings = [
        WarningShown(warning=warning, reason=_reason(warning.decision))
        for warning in standing.warnings(account)
    ]
    return StandingPage(
        standing=str(account.standing_in_force),
        reason=_reason(decision) if decision is not None else None,
        surfaces=surfaces,
        rate_limits=_rate_limits(account),
        warnings=warnings,
        content=[
            ContentShown(content=item, reason=_reason(item.decision))
            for item in standing.content_limitations(account)
        ],
    )
