"""Working a case: claims, decisions and reopening.

Decisions are carried out only through :mod:`core.events`: ``ContentActioned`` for
content (approve, hide, remove, sensitive) and ``AccountRestricted`` for accounts
(limit, suspend); strikes through :mod:`apps.moderation.strikes` (``AccountWarned``).
:func:`case_act` reads as its steps: lock and check the case, carry the action out,
resolve the case and its reports, audit, strike the author.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Standing
from apps.moderation import selectors, strikes
from apps.moderation.audit import case_snapshot
from apps.moderation.metrics import human_review_decisions_total
from apps.moderation.models import Case, CaseAction, Report, Strike
from core import audit, events
from core.errors import Conflict

from .queue import refresh_metrics_on_commit

User = get_user_model()

# The strike each action gives the author (approve gives none). These tables are keyed
# by the action as callers pass it, a plain string: each CaseAction equals its value.
STRIKE_FOR_ACTION: dict[str, Strike.Action] = {
    CaseAction.HIDE: Strike.Action.NONE,
    CaseAction.REMOVE: Strike.Action.DELETE_STATUSES,
    CaseAction.SENSITIVE: Strike.Action.MARK_STATUSES_AS_SENSITIVE,
    CaseAction.LIMIT: Strike.Action.SILENCE,
    CaseAction.SUSPEND: Strike.Action.SUSPEND,
    CaseAction.WARN: Strike.Action.NONE,
}
CONTENT_ACTIONS = {CaseAction.HIDE, CaseAction.REMOVE, CaseAction.SENSITIVE}
ACCOUNT_ACTIONS: dict[str, Standing] = {
    CaseAction.LIMIT: Standing.LIMITED,
    CaseAction.SUSPEND: Standing.SUSPENDED,
}


class CaseError(Conflict):
    """A case action that cannot be carried out in the case's state; the message says why.

    A :class:`core.errors.Conflict` (409 in the API); the admin shows its message.
    """


class CaseClaimed(CaseError):
    pass


class CaseClosed(CaseError):
    pass


# Claims ------------------------------------------------------------------------


def _locked(case: Case) -> Case:
    # of=self: PostgreSQL refuses to lock the nullable side of the join to the assignee.
    return (
        Case.objects.select_for_update(of=("self",)).select_related("assigned_to").get(pk=case.pk)
    )


def case_claim(*, case: Case, moderator) -> Case:
    """Assign the case to ``moderator`` for ``MODERATION_CLAIM_MINUTES``; one at a time."""
    with transaction.atomic():
        case = _locked(case)
        if not case.is_open:
            raise CaseClosed(_("This case is already resolved."))
        holder, until = case.assigned_to, case.claimed_until
        # Another's claim holds only while both are set.
        if holder is not None and until is not None and case.claimed_by_other(moderator):
            raise CaseClaimed(
                _("%(name)s is reviewing this case until %(until)s.")
                % {"name": holder.username, "until": until.strftime("%H:%M")}
            )
        before = case_snapshot(case)
        case.assigned_to = moderator
        case.claimed_until = timezone.now() + dt.timedelta(
            minutes=settings.MODERATION_CLAIM_MINUTES
        )
        case.save(update_fields=["assigned_to", "claimed_until", "updated_at"])
        audit.case_claimed(
            actor=moderator,
            case_id=case.pk,
            before=before,
            after=case_snapshot(case),
        )
    return case


def case_unclaim(*, case: Case, moderator) -> Case:
    """Release the claim (one's own, or one that has expired)."""
    with transaction.atomic():
        case = _locked(case)
        if case.claimed_by_other(moderator):
            raise CaseClaimed(_("Another moderator holds this case."))
        before = case_snapshot(case)
        case.assigned_to = None
        case.claimed_until = None
        case.save(update_fields=["assigned_to", "claimed_until", "updated_at"])
        audit.case_unclaimed(
            actor=moderator,
            case_id=case.pk,
            before=before,
            after=case_snapshot(case),
        )
    return case


# Decisions ---------------------------------------------------------------------


def _case_to_decide(case: Case, *, moderator) -> Case:
    """The case, locked: open, and not claimed by another moderator. Call in atomic()."""
    case = _locked(case)
    if not case.is_open:
        raise CaseClosed(_("Case %(id)s is already resolved.") % {"id": case.pk})
    holder = case.assigned_to
    # Another's claim holds only while it has a holder.
    if holder is not None and case.claimed_by_other(moderator):
        raise CaseClaimed(
            _("Case %(id)s is claimed by %(name)s.") % {"id": case.pk, "name": holder.username}
        )
    return case


def _case_content(case: Case, status_ids: list[int]) -> list[tuple[str, int]]:
    """What a content action acts on: the case's statuses, or its content if not a status."""
    content = [("status", i) for i in status_ids]
    if case.content_type not in ("status", "account", selectors.PILE_ON):
        content.append((case.content_type, case.content_id))
    return content


def _content_actioned(case: Case, content: list[tuple[str, int]], *, steps, reason: str) -> None:
    for content_type, content_id in content:
        for step in steps:
            events.publish(
                events.ContentActioned(
                    content_type=content_type,
                    content_id=content_id,
                    action=str(step),
                    reason=reason,
                    case_id=case.pk,
                )
            )


def _account_restrict(case: Case, *, moderator, action: str, note: str, reason: str) -> None:
    """Restrict the case's subjects (its author, or a pile-on's hostile strangers): each
    audited on the account, and strike expiry must not lift it."""
    for account_id in selectors.case_subjects(case):
        audit.account_decided(
            actor=moderator,
            account_id=account_id,
            decision=action,
            standing_before=strikes.current_restriction(account_id),
            standing_after=ACCOUNT_ACTIONS[action],
            case_id=case.pk,
            note=note,
        )
        strikes.policy_restriction_clear(account_id=account_id)
        events.publish(
            events.AccountRestricted(
                account_id=account_id,
                restriction=str(ACCOUNT_ACTIONS[action]),
                reason=reason,
            )
        )


def _decision_carry_out(case: Case, *, moderator, action: str, status_ids, note, reason) -> None:
    """Publish what the action does to the content or the account (approve, hide, ...).

    Raises :class:`CaseError` for a content action on a case about an account.
    """
    content = _case_content(case, status_ids)
    if action in CONTENT_ACTIONS and not content:
        raise CaseError(
            _("Case %(id)s is about an account, not content: warn, limit or suspend it.")
            % {"id": case.pk}
        )
    if action == CaseAction.APPROVE:
        if case.hidden:
            _content_actioned(case, content, steps=["approve"], reason=reason)
    elif action in CONTENT_ACTIONS:
        # Marked sensitive, hidden content is shown again behind its warning.
        steps = ["approve", "sensitive"] if action == "sensitive" and case.hidden else [action]
        _content_actioned(case, content, steps=steps, reason=reason)
    elif action in ACCOUNT_ACTIONS:
        _account_restrict(case, moderator=moderator, action=action, note=note, reason=reason)


def _case_resolve(case: Case, *, moderator, action: str, note: str, reason: str) -> None:
    """Mark the case resolved by ``action`` and its pending reports rejected or upheld."""
    now = timezone.now()
    case.state = Case.State.RESOLVED
    case.resolution = action
    case.resolution_note = note
    case.resolution_reason = reason
    case.resolved_at = now
    case.resolved_by = moderator
    # Content hidden until reviewed stays hidden unless approved, removed or marked sensitive.
    case.hidden = action == CaseAction.HIDE or (
        case.hidden and action in (CaseAction.WARN, CaseAction.LIMIT, CaseAction.SUSPEND)
    )
    case.claimed_until = None
    case.save()
    outcome = Report.Outcome.REJECTED if action == CaseAction.APPROVE else Report.Outcome.UPHELD
    pending = case.reports.filter(outcome=Report.Outcome.PENDING)
    decided = list(pending.values_list("pk", "reporter_id"))
    pending.update(outcome=outcome, action_taken_at=now, action_taken_by=moderator)
    # Each reporter hears how their report went (protection weighs reporters by it).
    for report_id, reporter_id in decided:
        events.publish(
            events.ReportResolved(
                report_id=report_id,
                reporter_id=reporter_id,
                upheld=outcome == Report.Outcome.UPHELD,
            )
        )


def _author_strike(case: Case, *, moderator, action: str, status_ids, reason: str) -> None:
    """The strike the action gives the case's author — or each of a pile-on's hostile
    strangers, naming its own statuses — (none for approve, or for an account gone)."""
    strike_action = STRIKE_FOR_ACTION.get(action)
    if strike_action is None:
        return
    subjects = selectors.case_subjects(case)
    if case.content_type != selectors.PILE_ON:
        subjects = {case.author_id: list(status_ids)}
    for account in User.objects.filter(pk__in=list(subjects)).order_by("pk"):
        strikes.strike_create(
            account=account,
            action=strike_action,
            text=reason,
            status_ids=subjects[account.pk],
            case=case,
            created_by=moderator,
            restriction=ACCOUNT_ACTIONS.get(action, "none"),
        )


def case_act(
    *, case: Case, moderator, action: str, note: str = "", reason: str = "", bulk: bool = False
) -> Case:
    """Decide an open case: carry the action out through events, resolve, audit, strike.

    Runs in one transaction; the events go out after it commits. Raises
    :class:`CaseClosed` for a resolved case, :class:`CaseClaimed` when another
    moderator's claim on it has not expired, :class:`CaseError` for a content action
    on an account case (nothing changes then), and ValueError for an unknown action.
    """
    if action not in CaseAction.values:
        raise ValueError(f"unknown action {action!r}")
    with transaction.atomic():
        case = _case_to_decide(case, moderator=moderator)
        before = case_snapshot(case)
        status_ids = selectors.case_status_ids(case)
        _decision_carry_out(
            case,
            moderator=moderator,
            action=action,
            status_ids=status_ids,
            note=note,
            reason=reason,
        )
        _case_resolve(case, moderator=moderator, action=action, note=note, reason=reason)
        audit.case_decided(
            actor=moderator,
            case_id=case.pk,
            decision=action,
            bulk=bulk,
            before=before,
            after=case_snapshot(case) | {"status_ids": status_ids, "reason": reason},
            note=note,
        )
        _author_strike(
            case, moderator=moderator, action=action, status_ids=status_ids, reason=reason
        )
        transaction.on_commit(lambda: human_review_decisions_total.labels(action=action).inc())
        refresh_metrics_on_commit()
    return case


@dataclass
class BulkResult:
    done: list[Case]
    skipped: list[tuple[Case, str]]


def cases_act_bulk(
    *, cases: Iterable[Case], moderator, action: str, note: str = "", reason: str = ""
) -> BulkResult:
    """:func:`case_act` on each case in pk order; cases that cannot be acted on are skipped."""
    result = BulkResult(done=[], skipped=[])
    for case in sorted(cases, key=lambda c: c.pk):
        try:
            result.done.append(
                case_act(
                    case=case,
                    moderator=moderator,
                    action=action,
                    note=note,
                    reason=reason,
                    bulk=True,
                )
            )
        except CaseError as error:
            result.skipped.append((case, str(error)))
    return result


def case_reopen(*, case: Case, moderator, note: str = "") -> Case:
    """Put a resolved case back in the queue (its reports pending again)."""
    with transaction.atomic():
        case = _locked(case)
        if case.is_open:
            return case
        if Case.objects.filter(
            content_type=case.content_type, content_id=case.content_id, state=Case.State.OPEN
        ).exists():
            raise CaseError(_("Another case about this content is open."))
        before = case_snapshot(case)
        case.state = Case.State.OPEN
        case.resolution = ""
        case.resolved_at = None
        case.resolved_by = None
        case.save()
        case.reports.update(
            outcome=Report.Outcome.PENDING, action_taken_at=None, action_taken_by=None
        )
        audit.case_reopened(
            actor=moderator,
            case_id=case.pk,
            before=before,
            after=case_snapshot(case),
            note=note,
        )
        refresh_metrics_on_commit()
    return case
