"""Protection's models, one module per area."""

from apps.protection.models.reputation import (
    Reputation,
    ReputationHistory,
    ReputationSignal,
    TrustLevel,
)

__all__ = ["Reputation", "ReputationHistory", "ReputationSignal", "TrustLevel"]
