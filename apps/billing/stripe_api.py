"""The Stripe API client billing talks through, and how its failures read.

One :class:`stripe.StripeClient` per key and API base (``STRIPE_API_BASE`` points it
at a local fake Stripe in tests and benchmarks). Stripe's errors become the
platform's: unreachable or failing Stripe is :class:`core.errors.Unavailable` (503,
retry), a request Stripe refuses is :class:`core.errors.Unprocessable` (422) with
Stripe's message.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import stripe
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from core import errors


def is_configured() -> bool:
    return bool(getattr(settings, "STRIPE_IS_CONFIGURED", False))


def require_configured() -> None:
    """Raise :class:`core.errors.Unavailable` (503) when Stripe has no keys here."""
    if not is_configured():
        raise errors.Unavailable(
            _("Billing is not configured on this server: everybody is on the free plan."),
            code="billing_not_configured",
        )


def secret_key() -> str:
    if settings.STRIPE_LIVE_MODE:
        return settings.STRIPE_LIVE_SECRET_KEY
    return settings.STRIPE_TEST_SECRET_KEY


@functools.cache
def _client(key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": api_base}, max_network_retries=2)


def client() -> stripe.StripeClient:
    """The client for the configured keys; :class:`core.errors.Unavailable` without them."""
    require_configured()
    return _client(secret_key(), settings.STRIPE_API_BASE)


def configure_module() -> None:
    """Point the stripe library's module-level API (which dj-stripe calls) at ``STRIPE_API_BASE``."""
    stripe.api_base = settings.STRIPE_API_BASE


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs) -> None:
    if setting.startswith("STRIPE_"):
        _client.cache_clear()
        configure_module()


@contextmanager
def calling_stripe() -> Iterator[None]:
    """Turn Stripe's errors into the platform's for the caller to report."""
    try:
        yield
    except stripe.InvalidRequestError as error:
        raise errors.Unprocessable(
            _("Stripe refused the request: %(message)s") % {"message": error.user_message or error},
            code="stripe_invalid_request",
        ) from error
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
        raise errors.Unavailable(
            _("Stripe cannot be reached just now; try again shortly."), code="stripe_unavailable"
        ) from error
    except stripe.AuthenticationError as error:
        raise errors.Unavailable(
            _("Billing is misconfigured: Stripe refused the server's key."),
            code="stripe_authentication",
        ) from error
