"""Live's own state: streams, their chat, and who may go live."""

from apps.live.models.allowances import LiveAllowance, LiveRestriction
from apps.live.models.chat import ChannelBan, ChannelModerator, ChatMessage, ChatTimeout
from apps.live.models.streams import Stream

__all__ = [
    "ChannelBan",
    "ChannelModerator",
    "ChatMessage",
    "ChatTimeout",
    "LiveAllowance",
    "LiveRestriction",
    "Stream",
]
