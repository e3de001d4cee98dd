"""Live's own state: streams and operators' allowances to go live."""

from apps.live.models.allowances import LiveAllowance
from apps.live.models.streams import Stream
from apps.live.models.viewers import LiveAnnouncement, LiveWatch

__all__ = ["LiveAllowance", "LiveAnnouncement", "LiveWatch", "Stream"]
