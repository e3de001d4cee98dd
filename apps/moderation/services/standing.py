"""A moderator's decisions on an account's standing: Mastodon's admin account actions and lifts.

The standing itself belongs to accounts: these publish ``AccountRestricted``, audit
the decision and tell the strike policy it no longer owns the restriction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import Standing
from apps.moderation import strikes
from apps.moderation.metrics import human_review_decisions_total
from apps.moderation.models import CaseAction, Report, Strike
from core import audit, events
from core.errors import Forbidden, Invalid

from .cases import CaseError, case_act


@dataclass(frozen=True)
class AdminAction:
    """What one of Mastodon's admin account action types means here, in one row.

    ``case_action``: how an open report's case is decided (None: not through the case,
    as disabling a login is no verdict on content); ``strike``: the strike recorded;
    ``standing``: the standing it puts the account in (None: a warning only).
    """

    case_action: str | None
    strike: str
    standing: Standing | None


# POST /api/v1/admin/accounts/:id/action "type": Mastodon's names, this platform's meaning.
ADMIN_ACTION_TYPES: dict[str, AdminAction] = {
    "none": AdminAction(CaseAction.WARN, Strike.Action.NONE, None),
    "sensitive": AdminAction(CaseAction.SENSITIVE, Strike.Action.SENSITIVE, None),
    "disable": AdminAction(None, Strike.Action.DISABLE, Standing.DISABLED),
    "silence": AdminAction(CaseAction.LIMIT, Strike.Action.SILENCE, Standing.LIMITED),
    "suspend": AdminAction(CaseAction.SUSPEND, Strike.Action.SUSPEND, Standing.SUSPENDED),
}


def account_action(
    *, moderator, account, type: str, text: str = "", report: Report | None = None
) -> None:
    """Mastodon's admin account action: restrict or warn ``account``, resolving ``report``.

    With an open report its case is decided with the matching action (so its
    statuses are handled as the queue would); otherwise the restriction is published
    and a strike given directly. Runs in one transaction. Raises Invalid for an
    unknown ``type``, a report about another account, or a report whose case cannot
    take the action.
    """
    if type not in ADMIN_ACTION_TYPES:
        raise Invalid({"type": [_("must be one of %(t)s") % {"t": ", ".join(ADMIN_ACTION_TYPES)}]})
    if report is not None and report.target_account_id != account.pk:
        raise Invalid({"report_id": [_("the report is about another account")]})
    action = ADMIN_ACTION_TYPES[type]
    with transaction.atomic():
        if report is not None and report.case.is_open and action.case_action is not None:
            try:
                case_act(
                    case=report.case, moderator=moderator, action=action.case_action, reason=text
                )
            except CaseError as error:
                raise Invalid({"report_id": [str(error)]}) from None
            return
        restriction = action.standing
        current = strikes.current_restriction(account.pk)
        audit.account_decided(
            actor=moderator,
            account_id=account.pk,
            decision=type,
            standing_before=current,
            standing_after=restriction or current,
            note=text,
        )
        # A moderator's decision on the account: strike expiry must not undo it.
        strikes.policy_restriction_clear(account_id=account.pk)
        if restriction:
            events.publish(
                events.AccountRestricted(
                    account_id=account.pk, restriction=str(restriction), reason=text
                )
            )
        strikes.strike_create(
            account=account,
            action=action.strike,
            text=text,
            created_by=moderator,
            restriction=restriction or "none",
        )
        label = action.case_action or type
        transaction.on_commit(lambda: human_review_decisions_total.labels(action=label).inc())


# POST /api/v1/admin/accounts/:id/{enable,unsilence,unsuspend} -> the standing each lifts.
LIFTS = {
    "enable": Standing.DISABLED,
    "unsilence": Standing.LIMITED,
    "unsuspend": Standing.SUSPENDED,
}


def account_standing_lift(*, moderator, account, type: str, text: str = "") -> None:
    """Mastodon's ``enable``, ``unsilence`` and ``unsuspend``: lift that standing.

    Allowed only while the account is in the standing ``type`` lifts, as Mastodon's
    policy has it (Forbidden, a 403, otherwise; Invalid for an unknown ``type``).
    Audited; the lift reaches accounts, which owns the standing, through
    ``AccountRestricted`` with ``none``.
    """
    if type not in LIFTS:
        raise Invalid({"type": [_("must be one of %(t)s") % {"t": ", ".join(LIFTS)}]})
    if account.standing_in_force != LIFTS[type]:
        raise Forbidden(_("This action is not allowed"))
    with transaction.atomic():
        audit.account_decided(
            actor=moderator,
            account_id=account.pk,
            decision=type,
            standing_before=account.standing_in_force,
            standing_after=Standing.NONE,
            note=text,
        )
        strikes.policy_restriction_clear(account_id=account.pk)
        events.publish(
            events.AccountRestricted(account_id=account.pk, restriction=str(Standing.NONE))
        )
