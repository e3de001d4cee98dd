"""Creators: their Stripe Connect Express account and the tiers fans subscribe to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ConnectAccount(models.Model):
    """A creator's Stripe Connect Express account, as Stripe's ``account.updated`` left it."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="billing_connect"
    )
    stripe_id = models.CharField(max_length=255, unique=True)
    details_submitted = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    source_event_created = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.stripe_id

    @property
    def state(self) -> str:
        """``pending`` (onboarding not finished), ``restricted`` (Stripe wants more) or ``active``."""
        if self.charges_enabled and self.payouts_enabled:
            return "active"
        return "restricted" if self.details_submitted else "pending"


class CreatorTier(models.Model):
    """A creator's membership tier: a monthly Stripe price and what members get."""

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="billing_tiers"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    benefits = models.JSONField(default=list, blank=True, help_text=_("Lines shown to fans."))
    amount = models.PositiveIntegerField(help_text=_("Monthly price in the currency's minor unit."))
    currency = models.CharField(max_length=3)
    stripe_product_id = models.CharField(max_length=255)
    stripe_price_id = models.CharField(max_length=255, unique=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["amount", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "name"],
                condition=models.Q(active=True),
                name="billing_tier_name_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.creator_id})"
