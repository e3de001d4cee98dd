"""A creator's account standing and their payouts: barred accounts are not paid.

The standing belongs to accounts (it may lapse on its own at ``standing_until``), so
this reads it there each time rather than trusting the order events arrive in.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from apps.accounts.models import able_to_act_q
from apps.billing.models import ConnectAccount, LedgerEntry, PayoutHold
from apps.billing.services import holds


def barred(account_ids) -> set[int]:
    """The accounts among ``account_ids`` that are suspended, disabled or deactivated now."""
    User = get_user_model()
    return set(
        User.objects.filter(pk__in=list(account_ids))
        .exclude(able_to_act_q())
        .values_list("pk", flat=True)
    )


def _is_creator(account_id: int) -> bool:
    return (
        ConnectAccount.objects.filter(account_id=account_id).exists()
        or LedgerEntry.objects.filter(creator_id=account_id).exists()
    )


def payout_hold_sync(*, account_id: int) -> None:
    """Open the suspension hold of a barred creator, release it for one that is not.

    Accounts that never set up payouts nor earned anything get no hold: there is
    nothing to pay them (the payout batch settles the holds of those it pays).
    """
    if account_id in barred([account_id]):
        if not _is_creator(account_id):
            return
        holds.hold_place(
            creator_id=account_id,
            kind=PayoutHold.Kind.SUSPENDED,
            reason=_("Your account is suspended."),
            reference="standing",
        )
    else:
        holds.holds_release(
            creator_id=account_id,
            kind=PayoutHold.Kind.SUSPENDED,
            reason=_("The account is no longer suspended."),
        )
