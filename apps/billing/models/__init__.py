"""Billing's own state, by area.

Stripe is the source of truth for money; these rows are what Agora decides from
(entitlements, memberships, dunning, what creators are owed) and they are written
only by billing's services, from Stripe's answers and events.
"""

from apps.billing.models.creators import ConnectAccount, CreatorTier
from apps.billing.models.events import WebhookEvent
from apps.billing.models.ledger import LedgerEntry, Payout, PayoutBatch, PayoutHold, WatchTime
from apps.billing.models.plans import (
    DUNNING,
    ENDED,
    PAYING,
    Customer,
    Notice,
    Plan,
    Subscription,
    SubscriptionStatus,
)

__all__ = [
    "DUNNING",
    "ENDED",
    "PAYING",
    "ConnectAccount",
    "CreatorTier",
    "Customer",
    "LedgerEntry",
    "Notice",
    "Payout",
    "PayoutBatch",
    "PayoutHold",
    "Plan",
    "Subscription",
    "SubscriptionStatus",
    "WatchTime",
    "WebhookEvent",
]
