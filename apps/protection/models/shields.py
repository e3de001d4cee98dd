"""Shields: an account's protection from strangers, raised by a pile-on or by the account."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ShieldQuerySet(models.QuerySet):
    def active(self) -> ShieldQuerySet:
        return self.filter(ended_at__isnull=True)


class Shield(models.Model):
    """One raising of an account's shield, from when it went up to when it came down.

    While it is up: notifications from accounts the shielded account does not follow,
    and from new accounts, are filtered into its notification requests (the feed's
    notification policy machinery); the hostile strangers of a pile-on are muted for
    the account until ``until``; its scheduled statuses are held. At most one is up
    per account; the rows that came down are its history.
    """

    class Source(models.TextChoices):
        PILE_ON = "pile_on", _("Pile-on detected")
        ACCOUNT = "account", _("Raised by the account")

    class EndReason(models.TextChoices):
        EXPIRED = "expired", _("Its time ran out")
        ACCOUNT = "account", _("Lowered by the account")
        STAFF = "staff", _("Lowered by staff")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shields"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    started_at = models.DateTimeField()
    until = models.DateTimeField(help_text=_("When the shield comes down on its own."))
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)
    # What the detector saw when it raised the shield (window, senders, threshold).
    detection = models.JSONField(default=dict, blank=True)
    # Moderation's case grouping the pile-on (a plain id: the case is moderation's).
    case_id = models.BigIntegerField(null=True, blank=True)
    # The recap told to the account when the shield came down: muted, filtered.
    recap = models.JSONField(null=True, blank=True)

    objects = ShieldQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(ended_at__isnull=True),
                name="protection_one_active_shield",
            ),
        ]
        indexes = [models.Index(fields=["until"], name="protection_shield_until")]
        permissions = [("lower_shield", "Can bring an account's shield down early")]

    def __str__(self) -> str:
        return f"shield of {self.account_id} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class ShieldSender(models.Model):
    """A hostile stranger of a pile-on: what it sent, and whether the shield muted it."""

    shield = models.ForeignKey(Shield, on_delete=models.CASCADE, related_name="senders")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    content_ids = models.JSONField(default=list)
    hostility = models.FloatField(default=0.0)
    # True when the shield made the mute (the account had not muted it already), so
    # lowering the shield early takes back only what the shield did.
    muted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shield", "sender"], name="protection_shield_sender")
        ]

    def __str__(self) -> str:
        return f"{self.sender_id} in {self.shield_id}"
