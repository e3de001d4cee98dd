"""Live's own state: streams and operators' allowances to go live."""

from apps.live.models.allowances import LiveAllowance
from apps.live.models.chat import ChannelBan, ChannelModerator, ChatMessage, ChatTimeout
from apps.live.models.streams import Stream

__all__ = [
    "ChannelBan",
    "ChannelModerator",
    "ChatMessage",
    "ChatTimeout",
    "LiveAllowance",
    "Stream",
]
