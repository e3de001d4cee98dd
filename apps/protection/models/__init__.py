"""Protection's models, one module per area."""

from apps.protection.models.shields import Shield, ShieldSender

__all__ = ["Shield", "ShieldSender"]
