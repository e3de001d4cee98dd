"""What an account's plan allows, as ``core.entitlements`` asks for it.

Billing's provider answers from the account's subscription, cached per account for
``BILLING_ENTITLEMENTS_CACHE_SECONDS``, never past the end of a grace period (the
plan lapses on time without an event), and cleared after commit by every change to
the account's subscriptions. Without Stripe keys it answers ``None``: the free plan,
with no query.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.billing import selectors, stripe_api
from apps.billing.models import DUNNING
from core.entitlements import Entitlements

logger = logging.getLogger(__name__)

_FREE = "free"  # cached for an account on no plan


def _key(account_id: int) -> str:
    return f"billing:entitlements:{account_id}"


def memberships_key(account_id: int) -> str:
    return f"billing:memberships:{account_id}"


def cache_ttl(until: datetime | None) -> int:
    """``BILLING_ENTITLEMENTS_CACHE_SECONDS``, or less when the answer changes at ``until``."""
    ttl = settings.BILLING_ENTITLEMENTS_CACHE_SECONDS
    if until is not None:
        ttl = min(ttl, max(1, int((until - timezone.now()).total_seconds()) + 1))
    return ttl


def entitlements_of(account) -> Entitlements | None:
    """The plan's entitlements of a signed-in ``account``; ``None`` for the free plan."""
    if not stripe_api.is_configured():
        return None
    key = _key(account.pk)
    cached = cache.get(key)
    if cached is not None:
        return None if cached == _FREE else cached
    subscription = selectors.subscription_current(account.pk)
    if subscription is None or not subscription.grants_plan():
        cache.set(key, _FREE, cache_ttl(None))
        return None
    answer = subscription.plan.entitlements()  # type: ignore[union-attr]
    until = subscription.grace_until if subscription.status in DUNNING else None
    cache.set(key, answer, cache_ttl(until))
    return answer


def entitlements_invalidate(account_id: int) -> None:
    """Forget the account's cached entitlements and memberships once the current
    transaction commits."""
    transaction.on_commit(
        lambda: cache.delete_many([_key(account_id), memberships_key(account_id)]), robust=True
    )
