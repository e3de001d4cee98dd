"""Billing's answer to ``core.memberships``: a fan's paid membership of a creator."""

from __future__ import annotations

from apps.billing import selectors, stripe_api
from core.memberships import Membership


def membership_of(fan_id: int, creator_id: int) -> Membership | None:
    if not stripe_api.is_configured() or fan_id == creator_id:
        return None
    subscription = selectors.membership(fan_id, creator_id)
    if subscription is None or subscription.creator_tier is None:
        return None
    end = subscription.current_period_end
    return Membership(
        creator_id=creator_id,
        tier_id=subscription.creator_tier_id,  # type: ignore[arg-type]
        tier=subscription.creator_tier.name,
        until=end.isoformat() if end else None,
    )


def creators_of(fan_id: int) -> frozenset[int]:
    if not stripe_api.is_configured():
        return frozenset()
    return frozenset(selectors.member_creator_ids(fan_id))
