"""Who may go live: a plan that allows it, or an operator's allowance; never while barred."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from apps.live.models import LiveAllowance
from core.entitlements import entitlements_for

logger = logging.getLogger(__name__)


def may_go_live(account: Any) -> bool:
    """Whether ``account`` may go live now: able to act (neither suspended nor disabled),
    and its plan allows it (``can_go_live``) or an operator allowed it."""
    if not account.is_able_to_act:
        return False
    if entitlements_for(account).can_go_live:
        return True
    return LiveAllowance.objects.filter(account=account).exists()


def _actor_name(actor: Any) -> str:
    name = actor if isinstance(actor, str) else getattr(actor, "username", "")
    return (name or "")[:150]


def live_allow(*, account: Any, actor: Any) -> tuple[LiveAllowance, bool]:
    """Let ``account`` go live without a paid plan; ``(allowance, created)``."""
    with transaction.atomic():
        return LiveAllowance.objects.get_or_create(
            account=account, defaults={"granted_by": _actor_name(actor)}
        )


def live_revoke(*, account: Any, actor: Any) -> bool:
    """Take the allowance back (its plan may still allow it); whether there was one.

    A stream already live goes on until it ends; the next publish is refused.
    """
    deleted, _by_model = LiveAllowance.objects.filter(account=account).delete()
    if deleted:
        logger.info("live allowance of %s revoked by %s", account.pk, _actor_name(actor))
    return bool(deleted)
