"""Plans, the accounts' Stripe customers and subscriptions, and what billing tells them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.entitlements import Entitlements


class Plan(models.Model):
    """A platform plan: a Stripe price and what paying it allows."""

    tier = models.SlugField(
        max_length=32,
        unique=True,
        help_text=_('The plan’s name in the API and its entitlements ("pro"); not "free".'),
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    stripe_price_id = models.CharField(
        max_length=255,
        unique=True,
        help_text=_("The Stripe price a subscription pays (price_...)."),
    )
    active = models.BooleanField(
        default=True, help_text=_("Offered at checkout; existing subscribers keep it either way.")
    )
    max_status_characters = models.PositiveIntegerField(default=500)
    max_media_attachments = models.PositiveSmallIntegerField(default=4)
    max_image_bytes = models.PositiveBigIntegerField(default=16 * 1024 * 1024)
    max_video_bytes = models.PositiveBigIntegerField(default=512 * 1024 * 1024)
    max_video_seconds = models.PositiveIntegerField(default=10 * 60)
    max_upload_bytes = models.PositiveBigIntegerField(default=1024 * 1024 * 1024)
    can_go_live = models.BooleanField(default=False)
    max_scheduled_statuses = models.PositiveIntegerField(default=300)
    max_scheduled_statuses_per_day = models.PositiveIntegerField(default=50)
    rate_limit_tier = models.SlugField(
        max_length=32,
        blank=True,
        help_text=_(
            "The row of AGORA_THROTTLE_RATES its requests count against; the tier when empty."
        ),
    )

    class Meta:
        ordering = ["max_status_characters", "tier"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(tier__in=["free", "anonymous"]),
                name="billing_plan_tier_not_reserved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.tier})"

    def entitlements(self) -> Entitlements:
        return Entitlements(
            tier=self.tier,
            max_status_characters=self.max_status_characters,
            max_media_attachments=self.max_media_attachments,
            max_image_bytes=self.max_image_bytes,
            max_video_bytes=self.max_video_bytes,
            max_video_seconds=self.max_video_seconds,
            max_upload_bytes=self.max_upload_bytes,
            can_go_live=self.can_go_live,
            max_scheduled_statuses=self.max_scheduled_statuses,
            max_scheduled_statuses_per_day=self.max_scheduled_statuses_per_day,
            rate_limit_tier=self.rate_limit_tier,
        )


class Customer(models.Model):
    """The Stripe customer that pays for an account."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="billing_customer"
    )
    stripe_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.stripe_id


class SubscriptionStatus(models.TextChoices):
    """Stripe's subscription statuses."""

    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    CANCELED = "canceled"
    PAUSED = "paused"


# Statuses that pay for the plan, that are in dunning (the plan holds until the
# grace period ends), and that are over for good (Stripe never revives them).
PAYING = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING})
DUNNING = frozenset({SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID})
ENDED = frozenset({SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED})


class Subscription(models.Model):
    """An account's Stripe subscription, as its events left it: to a platform plan
    (``kind`` platform), or a fan's to a creator's tier (``kind`` creator)."""

    class Kind(models.TextChoices):
        PLATFORM = "platform", _("platform plan")
        CREATOR = "creator", _("creator's tier")

    stripe_id = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PLATFORM)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="billing_subscriptions"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="billing_fan_subscriptions",
    )
    creator_tier = models.ForeignKey(
        "billing.CreatorTier", on_delete=models.PROTECT, null=True, blank=True
    )
    stripe_price_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=32, choices=SubscriptionStatus.choices)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    grace_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("In dunning: the plan holds until then, then the account is on the free plan."),
    )
    lapse_notified = models.BooleanField(
        default=False, help_text=_("The account was told its plan lapsed to the free plan.")
    )
    # The Stripe event this row was last set from (``created``, then the lifecycle
    # rank, break ties): an older event arriving late never undoes a newer one.
    source_event_created = models.BigIntegerField(default=0)
    source_event_rank = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "status"]),
            models.Index(fields=["account", "creator", "status"], name="billing_sub_membership"),
            models.Index(fields=["grace_until"], name="billing_sub_grace"),
        ]

    def __str__(self) -> str:
        return self.stripe_id

    def grants_plan(self, now=None) -> bool:
        """Whether the plan's entitlements (or the tier's membership) apply now: paying,
        or in dunning before the grace period ends."""
        if self.plan_id is None and self.creator_tier_id is None:
            return False
        if self.status in PAYING:
            return True
        now = now or timezone.now()
        return self.status in DUNNING and self.grace_until is not None and now < self.grace_until


class Notice(models.Model):
    """Something billing told an account (a failed payment, a lapsed plan)."""

    class Kind(models.TextChoices):
        PAYMENT_FAILED = "payment_failed", _("payment failed")
        PLAN_LAPSED = "plan_lapsed", _("plan lapsed")
        PLAN_STARTED = "plan_started", _("plan started")
        PLAN_ENDED = "plan_ended", _("plan ended")
        BANK_PAYOUT_FAILED = "bank_payout_failed", _("bank payout failed")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_notices"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    text = models.TextField()
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, null=True, blank=True)
    reference = models.CharField(
        max_length=255, blank=True, help_text=_("What it is about (an invoice, an event).")
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One notice per thing it is about: a redelivered event tells nobody twice.
            models.UniqueConstraint(
                fields=["account", "kind", "reference"],
                condition=~models.Q(reference=""),
                name="billing_notice_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.account_id}"
