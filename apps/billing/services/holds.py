"""Payout holds: while one is open, payout batches skip the creator and say why.

The system holds payouts while a creator's account is suspended or disabled and while
a dispute on one of their charges is open, and lifts those holds itself when that
ends; finance may hold or release by hand, always with a reason, always audited. The
creator reads the reason (and how to appeal) in their earnings statement.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.billing.models import PayoutHold
from core import audit, errors

logger = logging.getLogger(__name__)

SYSTEM = "system"

APPEAL: dict[str, Any] = {
    PayoutHold.Kind.SUSPENDED: gettext_lazy(
        "Your payouts resume when your account is no longer suspended; appeal the "
        "suspension from your account standing."
    ),
    PayoutHold.Kind.DISPUTE: gettext_lazy(
        "A customer disputed a payment to you. Payouts resume when the dispute closes; "
        "if you have evidence (a receipt, messages), send it to finance."
    ),
    PayoutHold.Kind.MANUAL: gettext_lazy("Finance holds your payouts; reply to finance to appeal."),
}


def appeal_text(kind: str) -> str:
    return str(APPEAL.get(kind) or APPEAL[PayoutHold.Kind.MANUAL])


def hold_place(
    *, creator_id: int, kind: str, reason: str, reference: str = "", actor=SYSTEM
) -> PayoutHold:
    """Open a hold (the open one of the same kind and reference if it exists)."""
    if not reason.strip():
        raise errors.Invalid({"reason": [_("a hold needs a reason the creator can read")]})
    existing = PayoutHold.objects.filter(
        creator_id=creator_id, kind=kind, reference=reference, released_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            hold = PayoutHold.objects.create(
                creator_id=creator_id, kind=kind, reason=reason.strip(), reference=reference
            )
    except IntegrityError:
        return PayoutHold.objects.get(
            creator_id=creator_id, kind=kind, reference=reference, released_at__isnull=True
        )
    audit.payout_hold_placed(
        actor=actor, hold_id=hold.pk, creator_id=creator_id, kind=kind, reason=hold.reason
    )
    logger.info("payouts held for %s: %s", creator_id, kind, extra={"creator_id": creator_id})
    return hold


def hold_release(*, hold: PayoutHold, reason: str, actor=SYSTEM) -> PayoutHold:
    """Release an open hold with the releaser's reason (Invalid without one)."""
    if not reason.strip():
        raise errors.Invalid({"reason": [_("releasing a hold needs a reason")]})
    with transaction.atomic():
        hold = PayoutHold.objects.select_for_update().get(pk=hold.pk)
        if hold.released_at is not None:
            return hold
        hold.released_at = timezone.now()
        hold.released_by = (actor if isinstance(actor, str) else getattr(actor, "username", ""))[
            :150
        ]
        hold.release_reason = reason.strip()
        hold.save(update_fields=["released_at", "released_by", "release_reason"])
        audit.payout_hold_released(
            actor=actor,
            hold_id=hold.pk,
            creator_id=hold.creator_id,
            kind=hold.kind,
            reason=hold.release_reason,
        )
    return hold


def holds_release(*, creator_id: int, kind: str, reference: str | None = None, reason: str) -> int:
    """Release the system's open holds of ``kind`` on a creator (of ``reference`` if given)."""
    open_holds = PayoutHold.objects.filter(
        creator_id=creator_id, kind=kind, released_at__isnull=True
    )
    if reference is not None:
        open_holds = open_holds.filter(reference=reference)
    released = 0
    for hold in open_holds:
        hold_release(hold=hold, reason=reason)
        released += 1
    return released


def is_held(creator_id: int) -> bool:
    return PayoutHold.objects.filter(creator_id=creator_id, released_at__isnull=True).exists()
