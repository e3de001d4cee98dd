"""Live's own state: streams and operators' allowances to go live."""

from apps.live.models.allowances import LiveAllowance, LiveRestriction
from apps.live.models.streams import Stream

__all__ = ["LiveAllowance", "LiveRestriction", "Stream"]
