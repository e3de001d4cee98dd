"""A stream's chat: its messages, and who may speak in a channel (moderators, bans, timeouts).

A *channel* is the streamer's account: moderators and bans belong to it and hold across
all of its streams. A timeout holds in the channel until it lapses.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import PublicModel

CHAT_TEXT_MAX_LENGTH = 500
REASON_MAX_LENGTH = 500


class ChatMessage(PublicModel):
    """One message said in a stream's chat.

    ``state`` is ``visible``, ``hidden`` (moderation's decision, reversible) or ``removed``
    (deleted by the streamer, a channel moderator or staff). Only visible messages are
    shown, now and in the replay; ``state_by`` and ``state_reason`` say who and why.
    """

    class State(models.TextChoices):
        VISIBLE = "visible", _("visible")
        HIDDEN = "hidden", _("hidden")
        REMOVED = "removed", _("removed")

    stream = models.ForeignKey(
        "live.Stream", on_delete=models.CASCADE, related_name="chat_messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_chat_messages"
    )
    text = models.CharField(max_length=CHAT_TEXT_MAX_LENGTH)
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.VISIBLE)
    state_by = models.CharField(max_length=150, blank=True)
    state_reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)

    class Meta:
        permissions = [("moderate_chatmessage", "Can hide and restore chat messages")]
        indexes = [
            models.Index(fields=["stream", "state", "-id"], name="live_chat_stream_state"),
            models.Index(fields=["author", "-id"], name="live_chat_author"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["visible", "hidden", "removed"]),
                name="live_chat_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"chat {self.pk} in stream {self.stream_id}"

    @property
    def is_visible(self) -> bool:
        return self.state == self.State.VISIBLE


class ChannelModerator(models.Model):
    """``moderator`` may delete messages, time out and ban in ``channel``'s chats."""

    channel = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_channel_moderators"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_moderates"
    )
    added_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "moderator"], name="live_channel_mod_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(channel=models.F("moderator")), name="live_channel_mod_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"moderator {self.moderator_id} of channel {self.channel_id}"


class ChannelBan(models.Model):
    """``account`` may not chat in any of ``channel``'s streams until unbanned."""

    channel = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_channel_bans"
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_banned_from"
    )
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    banned_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "account"], name="live_channel_ban_unique"),
        ]

    def __str__(self) -> str:
        return f"ban of {self.account_id} from channel {self.channel_id}"


class ChatTimeout(models.Model):
    """``account`` may not chat in ``channel`` until ``until`` (set from ``stream``'s chat)."""

    channel = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_chat_timeouts"
    )
    stream = models.ForeignKey(
        "live.Stream", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_timed_out"
    )
    until = models.DateTimeField()
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    timed_out_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["channel", "account", "until"], name="live_chat_timeout_lookup")
        ]

    def __str__(self) -> str:
        return f"timeout of {self.account_id} in channel {self.channel_id} until {self.until}"
