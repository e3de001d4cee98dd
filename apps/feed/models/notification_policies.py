"""Mastodon 4.3's notification policies: whose notifications an account accepts, filters or drops.

An account's :class:`NotificationPolicy` says, for five kinds of sender, whether
their notifications are accepted, ``filter``-ed (stored aside, grouped by sender
in a :class:`NotificationRequest` for the account to review) or dropped (never
stored). Accepting a request grants the sender a :class:`NotificationPermission`,
which lets their later notifications through whatever the policy says. The rules
are applied by :mod:`apps.feed.services.notification_policies`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.feed.models.statuses import Status
from core.models import PublicModel, TimestampedModel


class NotificationPolicy(TimestampedModel):
    """An account's policy. An account without a row has the defaults (Mastodon's).

    ``strict_until``: until then, notifications from accounts the owner does not
    follow, or from new accounts, are filtered whatever the policy says (``drop``
    still drops); set by :func:`apps.feed.services.notifications_shield_set`.
    """

    class Action(models.TextChoices):
        ACCEPT = "accept", _("accept")
        FILTER = "filter", _("filter")
        DROP = "drop", _("drop")

    # The five settings, and their defaults (Mastodon 4.3's).
    DEFAULTS = {
        "for_not_following": Action.ACCEPT,
        "for_not_followers": Action.ACCEPT,
        "for_new_accounts": Action.ACCEPT,
        "for_private_mentions": Action.FILTER,
        "for_limited_accounts": Action.FILTER,
    }
    SETTINGS = tuple(DEFAULTS)

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_policy"
    )
    for_not_following = models.CharField(
        max_length=8, choices=Action.choices, default=Action.ACCEPT
    )
    for_not_followers = models.CharField(
        max_length=8, choices=Action.choices, default=Action.ACCEPT
    )
    for_new_accounts = models.CharField(max_length=8, choices=Action.choices, default=Action.ACCEPT)
    for_private_mentions = models.CharField(
        max_length=8, choices=Action.choices, default=Action.FILTER
    )
    for_limited_accounts = models.CharField(
        max_length=8, choices=Action.choices, default=Action.FILTER
    )
    strict_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "notification policies"

    def __str__(self) -> str:
        return f"notification policy of {self.account_id}"


class NotificationRequest(PublicModel):
    """The filtered mentions ``from_account`` sent ``account``, awaiting review.

    One per pair; ``notifications_count`` counts the filtered mentions and
    ``last_status`` is the latest of them (Mastodon groups only mentions here; other
    filtered notifications are listed with ``include_filtered`` and go with the
    request when it is accepted or dismissed).
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_requests"
    )
    from_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    last_status = models.ForeignKey(
        Status, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notifications_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "from_account"], name="feed_notificationrequest_unique"
            )
        ]
        indexes = [models.Index(fields=["account", "-id"], name="feed_notificationrequest_list")]

    def __str__(self) -> str:
        return f"notification request {self.from_account_id} -> {self.account_id}"


class NotificationPermission(models.Model):
    """``account`` accepted notifications from ``from_account`` whatever its policy says."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    from_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "from_account"], name="feed_notificationpermission_unique"
            )
        ]

    def __str__(self) -> str:
        return f"notification permission {self.from_account_id} -> {self.account_id}"
