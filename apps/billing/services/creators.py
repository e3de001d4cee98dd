"""Creators: Connect Express onboarding and the tiers fans subscribe to."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.billing import stripe_api
from apps.billing.models import ConnectAccount, CreatorTier
from apps.billing.services.checkout import ACCOUNT_KEY, return_url
from core import errors, events

logger = logging.getLogger(__name__)

TIER_MIN_AMOUNT = 100
TIER_MAX_AMOUNT = 100_000
MAX_BENEFITS = 10
MAX_BENEFIT_LENGTH = 200


def connect_onboarding_start(*, account) -> str:
    """A Stripe account link where ``account`` sets up (or finishes) payouts.

    The Express account is created at Stripe the first time, with an idempotency key
    derived from the account, so two concurrent first calls make one.
    """
    stripe_api.require_configured()
    connect = ConnectAccount.objects.filter(account=account).first()
    client = stripe_api.client()
    if connect is None:
        with stripe_api.calling_stripe():
            params: Any = {
                "type": "express",
                "metadata": {ACCOUNT_KEY: str(account.pk)},
                "capabilities": {
                    "card_payments": {"requested": True},
                    "transfers": {"requested": True},
                },
            }
            if account.email:
                params["email"] = account.email
            remote = client.v1.accounts.create(
                params,
                {"idempotency_key": f"agora-connect-{account.pk}"},
            )
        try:
            with transaction.atomic():
                connect = ConnectAccount.objects.create(account=account, stripe_id=remote.id)
                connect_apply(remote.to_dict(), event_created=0)
        except IntegrityError:
            connect = ConnectAccount.objects.get(account=account)
    back = return_url()
    with stripe_api.calling_stripe():
        link = client.v1.account_links.create(
            {
                "account": connect.stripe_id,
                "refresh_url": back,
                "return_url": back,
                "type": "account_onboarding",
            }
        )
    return link.url


def connect_apply(data: dict[str, Any], *, event_created: int) -> ConnectAccount | None:
    """Set a creator's Connect state from Stripe's account object (``account.updated``)."""
    connect = ConnectAccount.objects.select_for_update().filter(stripe_id=data.get("id")).first()
    if connect is None:
        raw = (data.get("metadata") or {}).get(ACCOUNT_KEY)
        if not (raw and str(raw).isdigit()):
            return None  # a connected account Agora did not create
        connect, _ = ConnectAccount.objects.get_or_create(
            stripe_id=data["id"], defaults={"account_id": int(raw)}
        )
    if event_created < connect.source_event_created:
        return connect
    before = connect.state
    requirements = data.get("requirements") or {}
    connect.details_submitted = bool(data.get("details_submitted"))
    connect.charges_enabled = bool(data.get("charges_enabled"))
    connect.payouts_enabled = bool(data.get("payouts_enabled"))
    connect.requirements_due = list(requirements.get("currently_due") or [])
    connect.disabled_reason = str(requirements.get("disabled_reason") or "")[:255]
    connect.source_event_created = event_created
    connect.save()
    if connect.state != before:
        events.publish(
            events.PayoutAccountUpdated(
                account_id=connect.account_id, stripe_account=connect.stripe_id, state=connect.state
            )
        )
    return connect


def _clean_benefits(benefits: Any) -> list[str]:
    if benefits is None:
        return []
    if not isinstance(benefits, list) or not all(isinstance(line, str) for line in benefits):
        raise errors.Invalid({"benefits": [_("must be a list of lines of text")]})
    lines = [line.strip() for line in benefits if line.strip()]
    if len(lines) > MAX_BENEFITS:
        raise errors.Invalid({"benefits": [_("at most %(n)d lines") % {"n": MAX_BENEFITS}]})
    if any(len(line) > MAX_BENEFIT_LENGTH for line in lines):
        raise errors.Invalid(
            {"benefits": [_("each line at most %(n)d characters") % {"n": MAX_BENEFIT_LENGTH}]}
        )
    return lines


def tier_create(
    *, creator, name: str, amount: int, description: str = "", benefits: Any = None
) -> CreatorTier:
    """A new monthly tier at Stripe (a product and a price) that fans can subscribe to.

    Raises Invalid for a bad name, amount or benefits, Conflict when the creator has
    not finished payout onboarding (fans' money could not reach them) or already has
    an active tier of that name.
    """
    stripe_api.require_configured()
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise errors.Invalid({"name": [_("must be 1 to 100 characters")]})
    if not TIER_MIN_AMOUNT <= amount <= TIER_MAX_AMOUNT:
        raise errors.Invalid(
            {
                "amount": [
                    _("must be between %(low)d and %(high)d (minor units)")
                    % {"low": TIER_MIN_AMOUNT, "high": TIER_MAX_AMOUNT}
                ]
            }
        )
    lines = _clean_benefits(benefits)
    connect = ConnectAccount.objects.filter(account=creator).first()
    if connect is None or not connect.charges_enabled:
        raise errors.Conflict(
            _("Finish setting up payouts before offering a tier."), code="payouts_not_set_up"
        )
    if CreatorTier.objects.filter(creator=creator, name=name, active=True).exists():
        raise errors.Conflict(_("You already have a tier of that name."), code="tier_exists")
    currency = settings.BILLING_CURRENCY
    client = stripe_api.client()
    metadata = {"agora_creator_id": str(creator.pk)}
    with stripe_api.calling_stripe():
        product = client.v1.products.create(
            {"name": f"{creator.username}: {name}", "metadata": metadata}
        )
        price = client.v1.prices.create(
            {
                "product": product.id,
                "unit_amount": amount,
                "currency": currency,
                "recurring": {"interval": "month"},
                "metadata": metadata,
            }
        )
    return CreatorTier.objects.create(
        creator=creator,
        name=name,
        description=description or "",
        benefits=lines,
        amount=amount,
        currency=currency,
        stripe_product_id=product.id,
        stripe_price_id=price.id,
    )


def tier_update(*, tier: CreatorTier, name=None, description=None, benefits=None) -> CreatorTier:
    """Rename or redescribe a tier (its price is fixed: a new price is a new tier)."""
    if name is not None:
        name = name.strip()
        if not name or len(name) > 100:
            raise errors.Invalid({"name": [_("must be 1 to 100 characters")]})
        clash = CreatorTier.objects.filter(creator=tier.creator, name=name, active=True)
        if clash.exclude(pk=tier.pk).exists():
            raise errors.Conflict(_("You already have a tier of that name."), code="tier_exists")
        tier.name = name
    if description is not None:
        tier.description = description
    if benefits is not None:
        tier.benefits = _clean_benefits(benefits)
    tier.save()
    return tier


def tier_retire(*, tier: CreatorTier) -> None:
    """Stop offering a tier; its members keep it until they cancel."""
    stripe_api.require_configured()
    with stripe_api.calling_stripe():
        stripe_api.client().v1.prices.update(tier.stripe_price_id, {"active": False})
    tier.active = False
    tier.save(update_fields=["active"])
