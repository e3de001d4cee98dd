"""Who may go live: a plan that allows it, or an operator's allowance; never while barred.

Barred means the account cannot act (suspended, disabled, deactivated) or staff
restricted it from going live (:class:`~apps.live.models.LiveRestriction`, with a
reason and an end). :func:`live_refusal` says which, in words the account is shown.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from apps.live.models import LiveAllowance, LiveRestriction
from core import audit, errors
from core.entitlements import entitlements_for

logger = logging.getLogger(__name__)


def live_restriction_in_force(account: Any) -> LiveRestriction | None:
    """Staff's restriction on ``account`` going live, while it holds; None without one."""
    restriction = LiveRestriction.objects.filter(account=account).first()
    return restriction if restriction is not None and restriction.is_in_force() else None


def live_refusal(account: Any) -> str | None:
    """Why ``account`` may not go live now, in words it is shown; None when it may.

    It may when it is able to act (neither suspended, disabled nor deactivated), staff
    have not restricted it, and its plan allows it (``can_go_live``) or an operator did.
    """
    if not account.is_active:
        return _("This account is deactivated.")
    if not account.is_able_to_act:
        return _("Your account may not go live while it is %(standing)s.") % {
            "standing": account.standing_in_force.label
        }
    restriction = live_restriction_in_force(account)
    if restriction is not None:
        if restriction.until is None:
            return _("You may not go live: %(reason)s") % {"reason": restriction.reason}
        return _("You may not go live until %(until)s: %(reason)s") % {
            "until": formats.date_format(restriction.until, "DATETIME_FORMAT"),
            "reason": restriction.reason,
        }
    if entitlements_for(account).can_go_live:
        return None
    if LiveAllowance.objects.filter(account=account).exists():
        return None
    return _(
        "Your plan does not include going live: upgrade it, or ask this instance's "
        "operators to allow you."
    )


def may_go_live(account: Any) -> bool:
    """Whether ``account`` may go live now (:func:`live_refusal` says why not)."""
    return live_refusal(account) is None


def live_restrict(*, account: Any, reason: str, until: Any = None, actor: Any) -> LiveRestriction:
    """Bar ``account`` from going live until ``until`` (None: until lifted), for ``reason``.

    Replaces a restriction it already has; audited. A stream already live goes on (staff
    end it with the kill switch); the next publish is refused. Raises
    :class:`core.errors.Invalid` without a reason or with an end in the past.
    """
    reason = (reason or "").strip()
    if not reason:
        raise errors.Invalid({"reason": [_("a restriction needs a reason")]})
    if until is not None and until <= timezone.now():
        raise errors.Invalid({"until": [_("must be in the future")]})
    with transaction.atomic():
        previous = LiveRestriction.objects.select_for_update().filter(account=account).first()
        before = (
            {
                "until": previous.until.isoformat() if previous.until else None,
                "reason": previous.reason,
            }
            if previous is not None
            else {}
        )
        restriction, _created = LiveRestriction.objects.update_or_create(
            account=account,
            defaults={"reason": reason[:500], "until": until, "created_by": _actor_name(actor)},
        )
        audit.live_restricted(
            actor=actor,
            account_id=account.pk,
            reason=reason,
            until=until.isoformat() if until else None,
            before=before,
        )
    return restriction


def live_unrestrict(*, account: Any, reason: str, actor: Any) -> bool:
    """Lift ``account``'s restriction from going live; whether it had one. Audited."""
    with transaction.atomic():
        restriction = LiveRestriction.objects.select_for_update().filter(account=account).first()
        if restriction is None:
            return False
        until = restriction.until.isoformat() if restriction.until else None
        restriction.delete()
        audit.live_restriction_lifted(
            actor=actor, account_id=account.pk, reason=(reason or "").strip(), until=until
        )
    return True


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
