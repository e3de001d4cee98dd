"""Sending an account to Stripe: its customer, Checkout for a plan, the Customer Portal."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.billing import selectors, stripe_api
from apps.billing.models import Customer
from core import errors
from core.base_url import base_url

logger = logging.getLogger(__name__)

# Metadata keys Agora puts on Stripe objects, to map events back to accounts.
ACCOUNT_KEY = "agora_account_id"
KIND_KEY = "agora_kind"


def customer_for(account) -> Customer:
    """The account's Stripe customer, created at Stripe the first time.

    Creation carries an idempotency key derived from the account, so two concurrent
    first checkouts make one Stripe customer; the row's unique account settles the rest.
    """
    existing = Customer.objects.filter(account=account).first()
    if existing is not None:
        return existing
    stripe = stripe_api.client()
    with stripe_api.calling_stripe():
        params: Any = {"name": account.username, "metadata": {ACCOUNT_KEY: str(account.pk)}}
        if account.email:
            params["email"] = account.email
        remote = stripe.v1.customers.create(
            params,
            {"idempotency_key": f"agora-customer-{account.pk}"},
        )
    try:
        with transaction.atomic():
            return Customer.objects.create(account=account, stripe_id=remote.id)
    except IntegrityError:
        return Customer.objects.get(account=account)


def return_url() -> str:
    """Where Stripe sends the account back: set by the operator, never by a client
    (a client-chosen address would make Agora's checkout an open redirect)."""
    return settings.BILLING_RETURN_URL or f"{base_url()}/"


def checkout_create(*, account, price: str) -> str:
    """A Stripe Checkout URL where ``account`` subscribes to the plan of ``price``.

    Raises Invalid for a price that is no plan on offer, Conflict when the account
    already pays for a plan (changing plan is the Customer Portal's), Unavailable when
    billing is not configured or Stripe is out of reach.
    """
    stripe_api.require_configured()
    tier = selectors.tier_by_price(price) if price else None
    if tier is not None:
        return _creator_checkout(account=account, tier=tier)
    plan = selectors.plan_by_price(price)
    if plan is None or not plan.active:
        raise errors.Invalid({"price": [_("is not a plan or a creator's tier on offer")]})
    current = selectors.subscription_open(account.pk)
    if current is not None:
        raise errors.Conflict(
            _("You already have a plan; change or cancel it in the customer portal."),
            code="already_subscribed",
        )
    customer = customer_for(account)
    back = return_url()
    metadata = {ACCOUNT_KEY: str(account.pk), KIND_KEY: "platform"}
    with stripe_api.calling_stripe():
        session = stripe_api.client().v1.checkout.sessions.create(
            {
                "mode": "subscription",
                "customer": customer.stripe_id,
                "client_reference_id": str(account.pk),
                "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
                "success_url": back,
                "cancel_url": back,
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
            }
        )
    logger.info("checkout for %s: plan %s, session %s", account.pk, plan.tier, session.id)
    return session.url or ""


def portal_create(*, account) -> str:
    """A Stripe Customer Portal URL for ``account`` (Conflict: it never paid through Stripe)."""
    stripe_api.require_configured()
    customer = Customer.objects.filter(account=account).first()
    if customer is None:
        raise errors.Conflict(
            _("There is no billing account yet: subscribe to a plan first."),
            code="no_billing_account",
        )
    with stripe_api.calling_stripe():
        session = stripe_api.client().v1.billing_portal.sessions.create(
            {"customer": customer.stripe_id, "return_url": return_url()}
        )
    return session.url


def _creator_checkout(*, account, tier) -> str:
    """Checkout for a creator's tier: a Connect destination charge on the creator's
    behalf, the platform's share taken as Stripe's application fee."""
    from apps.billing.models import ConnectAccount

    if not tier.active:
        raise errors.Invalid({"price": [_("is a tier its creator no longer offers")]})
    if tier.creator_id == account.pk:
        raise errors.Unprocessable(_("You cannot subscribe to your own tier."), code="own_tier")
    if selectors.subscription_open(account.pk, creator_id=tier.creator_id) is not None:
        raise errors.Conflict(
            _(
                "You are already a member of this creator; change or cancel it in the customer portal."
            ),
            code="already_subscribed",
        )
    connect = ConnectAccount.objects.filter(account_id=tier.creator_id).first()
    if connect is None or not connect.charges_enabled:
        raise errors.Conflict(
            _("This creator cannot take payments right now."), code="creator_not_payable"
        )
    customer = customer_for(account)
    back = return_url()
    metadata = {
        ACCOUNT_KEY: str(account.pk),
        KIND_KEY: "creator",
        "agora_creator_id": str(tier.creator_id),
        "agora_tier_id": str(tier.pk),
    }
    with stripe_api.calling_stripe():
        session = stripe_api.client().v1.checkout.sessions.create(
            {
                "mode": "subscription",
                "customer": customer.stripe_id,
                "client_reference_id": str(account.pk),
                "line_items": [{"price": tier.stripe_price_id, "quantity": 1}],
                "success_url": back,
                "cancel_url": back,
                "metadata": metadata,
                "subscription_data": {
                    "metadata": metadata,
                    "application_fee_percent": settings.BILLING_PLATFORM_FEE_PERCENT,
                    "transfer_data": {"destination": connect.stripe_id},
                    "on_behalf_of": connect.stripe_id,
                },
            }
        )
    logger.info("checkout for %s: tier %s of %s", account.pk, tier.pk, tier.creator_id)
    return session.url or ""
