"""Protection's models, one module per area."""

from apps.protection.models.domains import BlockedDomain
from apps.protection.models.lookalikes import LookalikeFlag
from apps.protection.models.shields import Shield, ShieldSender

__all__ = ["BlockedDomain", "LookalikeFlag", "Shield", "ShieldSender"]
