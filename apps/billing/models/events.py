"""Stripe's webhook events as billing received and processed them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.Model):
    """One Stripe event, received once and processed exactly once.

    Deliveries of the same event (Stripe retries, replays) find this row by the
    event's id; the processing task locks it, runs the handlers and marks it
    ``processed`` in one transaction, so a second run sees it done. A handler that
    fails leaves it ``failed`` with the error and a next attempt time: the sweep
    retries it with backoff, finance can replay it, and other events go on.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        PROCESSED = "processed", _("processed")
        FAILED = "failed", _("failed")

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    stripe_created = models.BigIntegerField(
        help_text=_("The event's time at Stripe (Unix seconds).")
    )
    connect_account = models.CharField(max_length=255, blank=True)
    payload = models.JSONField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    deliveries = models.PositiveIntegerField(
        default=1, help_text=_("How many times Stripe delivered it.")
    )
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # dj-stripe's copy of Stripe's objects (finance's dj-stripe pages), made after
    # processing by its own task: Agora's state never waits for it.
    mirrored_at = models.DateTimeField(null=True, blank=True)
    mirror_attempts = models.PositiveSmallIntegerField(default=0)
    mirror_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="billing_event_due"),
            models.Index(fields=["mirrored_at", "mirror_attempts"], name="billing_event_mirror"),
        ]
        permissions = [("replay_webhookevent", "Can replay a Stripe webhook event")]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"
