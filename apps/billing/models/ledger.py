"""What creators are owed and why: an append-only ledger, watch time, payouts and holds.

Every amount is an integer in the currency's minor unit. A creator's balance is the
sum of their ledger entries: revenue is positive, what was paid (by Stripe with the
charge, or by a payout) and what was taken back (refunds, lost disputes) negative.
Each entry has a ``source`` naming what caused it, unique, so posting the same cause
twice (a redelivered event, a re-run) posts nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnly(Exception):
    """A ledger entry cannot be changed or deleted: post a reversing entry instead."""


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", _("subscription revenue after the platform's share")
        CHARGE_TRANSFER = "charge_transfer", _("paid by Stripe with the charge")
        WATCH_TIME = "watch_time", _("watch-time revenue")
        REFUND = "refund", _("refund reversal")
        DISPUTE = "dispute", _("lost dispute reversal")
        PAYOUT = "payout", _("payout")
        PAYOUT_REVERSAL = "payout_reversal", _("payout returned")

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="billing_ledger"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    amount = models.BigIntegerField(help_text=_("Minor units; negative takes from the balance."))
    currency = models.CharField(max_length=3)
    occurred_at = models.DateTimeField(db_index=True)
    description = models.CharField(max_length=255)
    source = models.CharField(max_length=255, unique=True)
    stripe_id = models.CharField(
        max_length=255, blank=True, help_text=_("The charge, refund, dispute or transfer.")
    )
    payout = models.ForeignKey("billing.Payout", on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        indexes = [
            models.Index(
                fields=["creator", "currency", "occurred_at"], name="billing_ledger_balance"
            )
        ]
        verbose_name_plural = _("ledger entries")
        permissions = [("export_ledgerentry", "Can export the ledger as CSV")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} for {self.creator_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise AppendOnly("ledger entries are never changed; post a reversing entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("ledger entries are never deleted; post a reversing entry")


class WatchTime(models.Model):
    """Seconds a viewer watched a creator's content on one day (UTC), from one source.

    Recorders report running totals (``seconds`` only grows), so a total reported
    twice or late counts once; ``accrued_seconds`` is how much of it the ledger has.
    """

    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField()
    source = models.CharField(
        max_length=100, help_text=_('What was watched ("live:12", "media:7").')
    )
    seconds = models.PositiveIntegerField(default=0)
    accrued_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["viewer", "creator", "day", "source"], name="billing_watch_once"
            ),
        ]
        indexes = [models.Index(fields=["day", "creator"], name="billing_watch_day")]

    def __str__(self) -> str:
        return f"{self.seconds}s of {self.source} by {self.viewer_id} on {self.day}"


class PayoutBatch(models.Model):
    """One month's payout run: started, then finished once every creator was handled."""

    period = models.DateField(unique=True, help_text=_("The month paid (its first day)."))
    cutoff = models.DateTimeField(help_text=_("Entries before this are paid in this batch."))
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    creators_paid = models.PositiveIntegerField(default=0)
    creators_held = models.PositiveIntegerField(default=0)
    amount_paid = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-period"]
        verbose_name_plural = _("payout batches")

    def __str__(self) -> str:
        return self.period.strftime("%Y-%m")


class Payout(models.Model):
    """What one batch pays one creator: one Stripe Transfer, keyed by creator and period."""

    class State(models.TextChoices):
        PENDING = "pending", _("being paid")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed")
        REVERSED = "reversed", _("returned")

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="payouts")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    idempotency_key = models.CharField(max_length=255, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    stripe_transfer_id = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "creator"], name="billing_payout_once")
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class PayoutHold(models.Model):
    """Payouts to a creator are held while this is open, with a reason they can read."""

    class Kind(models.TextChoices):
        SUSPENDED = "suspended", _("account suspended")
        DISPUTE = "dispute", _("payment dispute open")
        MANUAL = "manual", _("held by finance")

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="billing_holds"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.TextField(help_text=_("Shown to the creator."))
    reference = models.CharField(
        max_length=255, blank=True, help_text=_("The dispute, or the decision.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.CharField(max_length=150, blank=True)
    release_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "kind", "reference"],
                condition=models.Q(released_at__isnull=True),
                name="billing_hold_open_once",
            )
        ]
        permissions = [("release_payouthold", "Can release a payout hold")]

    def __str__(self) -> str:
        return f"{self.kind} hold on {self.creator_id}"

    @property
    def is_open(self) -> bool:
        return self.released_at is None
