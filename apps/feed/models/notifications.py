"""Notifications and the Web Push subscriptions that deliver them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings

from apps.feed.models.statuses import Status
from core.models import PublicModel


class Notification(PublicModel):
    class Type(models.TextChoices):
        MENTION = "mention"
        STATUS = "status"
        REBLOG = "reblog"
        FOLLOW = "follow"
        FOLLOW_REQUEST = "follow_request"
        FAVOURITE = "favourite"
        UPDATE = "update"
        MODERATION_WARNING = "moderation_warning"
        POLL = "poll"
        QUOTE = "quote"
        QUOTED_UPDATE = "quoted_update"
        # Agora's own, namespaced as Pleroma's are (clients skip types they do not
        # know); the entity carries ``payload`` under ``agora``. Protection's shield
        # going up or down, told to the shielded account.
        SHIELD = "agora:shield"

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    from_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(max_length=32, choices=Type.choices)
    status = models.ForeignKey(
        Status, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Type-specific data another app sent with its event: for ``moderation_warning``,
    # the account warning ({id, action, text, status_ids, created_at}); for Agora's own
    # types (``agora:...``), what the entity shows under ``agora``.
    payload = models.JSONField(null=True, blank=True)
    # Mastodon 4.3's notification group: ``<type>-<status id>-<hour>`` (favourite,
    # reblog), ``follow-<hour>``, else ``ungrouped-<id>``; set by the services
    # (apps.feed.services.notifications), read by the grouped notifications API.
    group_key = models.CharField(max_length=64, blank=True, default="")
    # Held back by the recipient's notification policy (Mastodon 4.3): not listed,
    # streamed nor pushed until the recipient accepts the sender's request.
    filtered = models.BooleanField(default=False)

    GROUPABLE_TYPES = ("favourite", "reblog", "follow")
    # A group takes new notifications until it spans this many hours (Mastodon's).
    MAXIMUM_GROUP_SPAN_HOURS = 12

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="feed_notification_account_id"),
            models.Index(fields=["account", "group_key", "-id"], name="feed_notification_group"),
            models.Index(
                fields=["account", "from_account"],
                condition=models.Q(filtered=True),
                name="feed_notification_filtered",
            ),
        ]


class PushSubscription(models.Model):
    """Where an app receives Web Push notifications (Mastodon's Web::PushSubscription).

    One per OAuth access token: subscribing again with the same token replaces the
    row, and revoking the token deletes it. ``key_p256dh`` (the app's P-256 public
    key, uncompressed) and ``key_auth`` (its 16-byte secret) are kept base64url as
    the app sent them; ``standard`` chooses RFC 8291's ``aes128gcm`` over the legacy
    ``aesgcm`` draft. ``alerts`` maps notification types to booleans; ``policy``
    says whose notifications are pushed at all.
    """

    class Policy(models.TextChoices):
        ALL = "all", _("everyone")
        FOLLOWED = "followed", _("accounts the recipient follows")
        FOLLOWER = "follower", _("accounts following the recipient")
        NONE = "none", _("no one")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    access_token = models.OneToOneField(
        oauth2_settings.ACCESS_TOKEN_MODEL,
        on_delete=models.CASCADE,
        related_name="push_subscription",
    )
    endpoint = models.URLField(max_length=2048)
    key_p256dh = models.CharField(max_length=128)
    key_auth = models.CharField(max_length=64)
    standard = models.BooleanField(default=False)
    alerts = models.JSONField(default=dict, blank=True)
    policy = models.CharField(max_length=16, choices=Policy.choices, default=Policy.ALL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.account_id} push to {self.endpoint[:60]}"
