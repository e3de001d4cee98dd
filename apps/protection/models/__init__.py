"""Protection's models, one module per area."""

from apps.protection.models.domains import BlockedDomain
from apps.protection.models.lookalikes import LookalikeFlag
from apps.protection.models.reputation import (
    Reputation,
    ReputationHistory,
    ReputationSignal,
    TrustLevel,
)
from apps.protection.models.shields import Shield, ShieldSender

__all__ = [
    "BlockedDomain",
    "LookalikeFlag",
    "Reputation",
    "ReputationHistory",
    "ReputationSignal",
    "Shield",
    "ShieldSender",
    "TrustLevel",
]
