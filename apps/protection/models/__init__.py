"""Protection's models, one module per area."""

from apps.protection.models.domains import BlockedDomain
from apps.protection.models.lookalikes import LookalikeFlag

__all__ = ["BlockedDomain", "LookalikeFlag"]
