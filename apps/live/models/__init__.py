"""Live's own state: streams, their chat, viewers and watch time, and who may go live."""

from apps.live.models.allowances import LiveAllowance, LiveRestriction
from apps.live.models.chat import ChannelBan, ChannelModerator, ChatMessage, ChatTimeout
from apps.live.models.streams import Stream
from apps.live.models.viewers import LiveAnnouncement, LiveWatch

__all__ = [
    "ChannelBan",
    "ChannelModerator",
    "ChatMessage",
    "ChatTimeout",
    "LiveAllowance",
    "LiveAnnouncement",
    "LiveRestriction",
    "LiveWatch",
    "Stream",
]
