"""Billing's answer to ``core.memberships``: a fan's paid membership of a creator."""

from __future__ import annotations

from django.core.cache import cache

from apps.billing import selectors, stripe_api
from apps.billing.services.entitlements import cache_ttl, memberships_key
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
    """Every creator the fan pays now: cached like entitlements (visibility filters ask it
    on every read), cleared by the events that change it, never kept past a grace period."""
    if not stripe_api.is_configured():
        return frozenset()
    key = memberships_key(fan_id)
    cached = cache.get(key)
    if cached is not None:
        return frozenset(cached)
    creators, changes_at = selectors.member_creator_ids(fan_id)
    cache.set(key, sorted(creators), cache_ttl(changes_at))
    return frozenset(creators)
