"""Threads, their mutes, and each participant's view of a direct conversation."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.feed.models.statuses import Status
from core.models import PublicModel


class Conversation(models.Model):
    """A thread, as Mastodon's Conversation: a status and every reply below it share one.

    Replies inherit their parent's (:func:`apps.feed.services.conversations.conversation_for`);
    a top-level status gets one only when something needs it (a direct message, a
    reply, a mute), so public posts cost no extra row.
    """

    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"conversation {self.pk}"


class ConversationMute(models.Model):
    """``account`` muted the thread ``conversation``: no notifications from it (Mastodon's)."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="mutes")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "conversation"], name="feed_conversationmute_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} muted conversation {self.conversation_id}"


class AccountConversation(PublicModel):
    """One participant's view of a direct thread with one set of others (Mastodon's).

    ``participant_ids`` are the other accounts (sorted; ``participants_key`` is the
    same as text, for the uniqueness constraint); ``status_ids`` the thread's direct
    statuses that reached ``account`` (sorted), ``last_status`` the newest of them.
    Unread when the last status that arrived came from someone else. Maintained by
    :mod:`apps.feed.services.conversations` when direct statuses are posted, edited
    or deleted; a row whose statuses are all gone is deleted.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="account_conversations"
    )
    participant_ids = models.JSONField(default=list)
    participants_key = models.CharField(max_length=2000, blank=True)
    status_ids = models.JSONField(default=list)
    last_status = models.ForeignKey(
        Status, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unread = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "conversation", "participants_key"],
                name="feed_accountconversation_unique",
            )
        ]
        indexes = [
            models.Index(fields=["account", "-last_status"], name="feed_accconv_account_last"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} in conversation {self.conversation_id}"
