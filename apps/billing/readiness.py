"""Billing's readiness check: Stripe keys and a webhook secret, or billing is off."""

from __future__ import annotations

from django.conf import settings

from apps.billing import stripe_api
from core import health

CHECK_NAME = "billing"


def check_billing() -> None:
    """Raise :class:`core.health.ReadinessProblem` when billing cannot work here."""
    if not stripe_api.is_configured():
        raise health.ReadinessProblem(
            "billing not configured: no Stripe secret key; everybody is on the free plan"
        )
    if not settings.DJSTRIPE_WEBHOOK_SECRET:
        raise health.ReadinessProblem("billing has no webhook secret: Stripe's events are refused")


def register() -> None:
    """Optional: without Stripe the rest of Agora serves on, on the free plan."""
    health.register_check(CHECK_NAME, check_billing, critical=False)
