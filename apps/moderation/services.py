"""Writes of the review side: opening and joining cases, reports, claims and decisions.

Decisions are carried out only through :mod:`core.events`: ``ContentActioned`` for
content (approve, hide, remove, sensitive) and ``AccountRestricted`` for accounts
(limit, suspend); strikes through :mod:`apps.moderation.strikes` (``AccountWarned``).
Every change writes an audit row (:mod:`core.audit`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Standing
from apps.moderation import selectors, strikes
from apps.moderation.audit import case_snapshot
from apps.moderation.metrics import (
    content_reports_total,
    human_review_decisions_total,
    moderation_queue_size,
)
from apps.moderation.models import Case, CaseAction, Report, Rule, Strike
from core import audit, events
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.ids import parse_id

User = get_user_model()
logger = logging.getLogger(__name__)

# Weights of the queue priority: automated score (0..1), reach (log10 of followers and
# engagement), and the summed trust (0..1 each) of the reporters.
SCORE_WEIGHT = 3.0
REACH_WEIGHT = 0.5
REPORTER_WEIGHT = 1.0

# The strike each action gives the author (approve gives none).
STRIKE_FOR_ACTION = {
    CaseAction.HIDE: Strike.Action.NONE,
    CaseAction.REMOVE: Strike.Action.DELETE_STATUSES,
    CaseAction.SENSITIVE: Strike.Action.MARK_STATUSES_AS_SENSITIVE,
    CaseAction.LIMIT: Strike.Action.SILENCE,
    CaseAction.SUSPEND: Strike.Action.SUSPEND,
    CaseAction.WARN: Strike.Action.NONE,
}
CONTENT_ACTIONS = {CaseAction.HIDE, CaseAction.REMOVE, CaseAction.SENSITIVE}
ACCOUNT_ACTIONS = {CaseAction.LIMIT: Standing.LIMITED, CaseAction.SUSPEND: Standing.SUSPENDED}


class CaseError(Conflict):
    """A case action that cannot be carried out in the case's state; the message says why.

    A :class:`core.errors.Conflict` (409 in the API); the admin shows its message.
    """


class CaseClaimed(CaseError):
    pass


class CaseClosed(CaseError):
    pass


# Priority and the queue ------------------------------------------------------


def case_priority(*, score: float, reach: int, reporter_weight: float) -> float:
    """Grows with the automated score, the content's reach and the reporters' trust."""
    return round(
        SCORE_WEIGHT * max(0.0, min(score, 1.0))
        + REACH_WEIGHT * math.log10(1 + max(reach, 0))
        + REPORTER_WEIGHT * max(reporter_weight, 0.0),
        4,
    )


def content_reach(*, content_type: str, content_id: int, author_id: int) -> int:
    """How many people the content reaches: the author's followers plus its engagement."""
    followers = User.objects.filter(pk=author_id).values_list("followers_count", flat=True).first()
    reach = followers or 0
    if content_type == "status":
        from apps.feed.models import Status

        counts = (
            Status.objects.filter(pk=content_id)
            .values_list("favourites_count", "reblogs_count", "replies_count")
            .first()
        )
        if counts:
            favourites, reblogs, replies = counts
            reach += favourites + 2 * reblogs + replies
    return reach


def _recompute(case: Case) -> None:
    case.reach = content_reach(
        content_type=case.content_type, content_id=case.content_id, author_id=case.author_id
    )
    case.priority = case_priority(
        score=case.score, reach=case.reach, reporter_weight=case.reporter_weight
    )
    due = selectors.sla_due(case)
    case.sla_due_at = min(case.sla_due_at, due) if case.sla_due_at else due


# The queue gauge reads the database when /metrics is scraped (in every process), at most
# once per QUEUE_METRICS_MAX_AGE seconds; changes made here refresh it at once.
QUEUE_METRICS_MAX_AGE = 10.0
_queue_sizes = {"at": float("-inf"), "sizes": {"high": 0, "medium": 0, "low": 0}}


def queue_metrics_refresh() -> dict[str, int]:
    """Read the open cases per priority band for ``moderation_queue_size{priority}``."""
    sizes = selectors.queue_sizes()
    _queue_sizes.update(at=time.monotonic(), sizes=sizes)
    return sizes


def _queue_band_size(band: str) -> float:
    if time.monotonic() - _queue_sizes["at"] > QUEUE_METRICS_MAX_AGE:
        try:
            queue_metrics_refresh()
        except DatabaseError:
            logger.warning("moderation queue size unavailable", exc_info=True)
    return float(_queue_sizes["sizes"].get(band, 0))


def queue_metrics_connect() -> None:
    """Make ``moderation_queue_size{priority}`` current whenever it is collected."""
    for band in ("high", "medium", "low"):
        moderation_queue_size.labels(priority=band).set_function(
            functools.partial(_queue_band_size, band)
        )


def _refresh_metrics_on_commit() -> None:
    transaction.on_commit(queue_metrics_refresh)


def _open_case_locked(*, content_type: str, content_id: int) -> Case | None:
    return (
        Case.objects.select_for_update()
        .filter(content_type=content_type, content_id=content_id, state=Case.State.OPEN)
        .first()
    )


def _case_open_or_join(
    *, content_type: str, content_id: int, author_id: int, category: str, source: str
) -> tuple[Case, bool]:
    """The open case about the content, locked; created when there is none. Call in atomic()."""
    case = _open_case_locked(content_type=content_type, content_id=content_id)
    if case is not None:
        return case, False
    try:
        with transaction.atomic():
            case = Case(
                content_type=content_type,
                content_id=content_id,
                author_id=author_id,
                category=category,
                source=source,
            )
            case.save()
            return case, True
    except IntegrityError:
        # Another transaction opened it at the same moment: join theirs.
        case = _open_case_locked(content_type=content_type, content_id=content_id)
        if case is None:
            raise
        return case, False


def queue_for_review(
    *,
    content_type: str,
    content_id: int,
    author_id: int,
    category: str,
    score: float,
    source: str = "automated",
    assessment=None,
    hidden: bool = False,
) -> Case:
    """Open, or join, the open case about this content; recompute its priority.

    Called by the automated pipeline (``source="automated"``, with the assessment
    and whether the content was hidden until reviewed).
    """
    if source not in Case.Source.values:
        raise ValueError(f"unknown case source {source!r}")
    with transaction.atomic():
        case, created = _case_open_or_join(
            content_type=content_type,
            content_id=int(content_id),
            author_id=int(author_id),
            category=category,
            source=source,
        )
        before = None if created else case_snapshot(case)
        if score >= case.score or not case.category:
            case.category = category
        case.score = max(case.score, float(score))
        case.hidden = case.hidden or hidden
        if source == Case.Source.AUTOMATED:
            case.from_automated = True
        if assessment is not None:
            case.assessment = assessment
        _recompute(case)
        case.save()
        audit.case_queued(
            case_id=case.pk,
            created=created,
            before=before,
            after=case_snapshot(case) | {"source": source, "score": score, "category": category},
        )
        _refresh_metrics_on_commit()
    return case


# Community reports -----------------------------------------------------------


def _int_ids(values: Iterable, field: str) -> list[int]:
    ids = []
    for value in values or ():
        number = parse_id(value)
        if number is None:
            raise Invalid({field: [_("%(value)s is not an id") % {"value": value}]})
        ids.append(number)
    return sorted(set(ids))


def report_create(
    *,
    reporter,
    account_id,
    status_ids: Iterable = (),
    comment: str = "",
    forward: bool = False,
    category: str | None = None,
    rule_ids: Iterable = (),
) -> Report:
    """File a community report (Mastodon's ``POST /api/v1/reports``); it joins the target's case.

    The case is about the first reported status, or about the account when no status
    is named. Raises NotFound for an unknown account, Invalid (422) for any other bad
    input; nothing is written then.
    """
    from apps.feed.models import Status

    target_id = parse_id(account_id)
    target = User.objects.filter(pk=target_id, is_active=True).first() if target_id else None
    if target is None:
        raise NotFound(_("Record not found"))
    if target.pk == reporter.pk:
        raise Invalid({"account_id": [_("you cannot report yourself")]})
    if not category:
        raise Invalid({"category": [_("is missing")]})
    if category not in Report.Category.values:
        raise Invalid(
            {
                "category": [
                    _("must be one of %(choices)s") % {"choices": ", ".join(Report.Category.values)}
                ]
            }
        )
    statuses = _int_ids(status_ids, "status_ids")
    rules = _int_ids(rule_ids, "rule_ids")
    if statuses:
        found = dict(
            Status.objects.visible_to(reporter)
            .filter(pk__in=statuses)
            .values_list("pk", "account_id")
        )
        unknown = [i for i in statuses if i not in found]
        if unknown:
            raise Invalid(
                {
                    "status_ids": [
                        _("unknown status %(ids)s") % {"ids": ", ".join(map(str, unknown))}
                    ]
                }
            )
        foreign = [i for i in statuses if found[i] != target.pk]
        if foreign:
            raise Invalid(
                {
                    "status_ids": [
                        _("status %(ids)s is not by the reported account")
                        % {"ids": ", ".join(map(str, foreign))}
                    ]
                }
            )
    rule_objects = list(Rule.objects.filter(pk__in=rules))
    if len(rule_objects) != len(rules):
        missing = sorted(set(rules) - {r.pk for r in rule_objects})
        raise Invalid(
            {"rule_ids": [_("unknown rule %(ids)s") % {"ids": ", ".join(map(str, missing))}]}
        )
    if rules and category != Report.Category.VIOLATION:
        raise Invalid({"rule_ids": [_("rules go with the category violation only")]})
    if category == Report.Category.VIOLATION and not rules:
        raise Invalid({"rule_ids": [_("a violation report names the rules broken")]})

    trust = selectors.reporter_trust(reporter_id=reporter.pk)
    content_type, content_id = ("status", statuses[0]) if statuses else ("account", target.pk)
    with transaction.atomic():
        case, created = _case_open_or_join(
            content_type=content_type,
            content_id=content_id,
            author_id=target.pk,
            category=category,
            source=Case.Source.REPORT,
        )
        before = None if created else case_snapshot(case)
        report = Report(
            reporter=reporter,
            target_account=target,
            case=case,
            category=category,
            comment=comment or "",
            forwarded=bool(forward),
            status_ids=statuses,
            trust=trust,
        )
        report.full_clean(exclude=["case", "reporter", "target_account"])
        report.save()
        if rule_objects:
            report.rules.set(rule_objects)
        case.report_count += 1
        case.reporter_weight = round(case.reporter_weight + trust, 4)
        _recompute(case)
        case.save()
        audit.report_filed(
            actor=reporter,
            case_id=case.pk,
            before=before,
            after=case_snapshot(case) | {"report": report.pk, "category": category},
        )
        transaction.on_commit(lambda: content_reports_total.labels(category=category).inc())
        _refresh_metrics_on_commit()
        events.publish(
            events.ReportFiled(
                report_id=report.pk,
                reporter_id=reporter.pk,
                target_account_id=target.pk,
                content_ids=tuple(statuses),
            )
        )
    return report


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
        if case.claimed_by_other(moderator):
            raise CaseClaimed(
                _("%(name)s is reviewing this case until %(until)s.")
                % {"name": case.assigned_to.username, "until": case.claimed_until.strftime("%H:%M")}
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


def case_act(
    *, case: Case, moderator, action: str, note: str = "", reason: str = "", bulk: bool = False
) -> Case:
    """Decide an open case: carry the action out through events, strike, resolve, audit.

    Raises :class:`CaseClosed` for a resolved case and :class:`CaseClaimed` when
    another moderator's claim on it has not expired.
    """
    if action not in CaseAction.values:
        raise ValueError(f"unknown action {action!r}")
    with transaction.atomic():
        case = _locked(case)
        if not case.is_open:
            raise CaseClosed(_("Case %(id)s is already resolved.") % {"id": case.pk})
        if case.claimed_by_other(moderator):
            raise CaseClaimed(
                _("Case %(id)s is claimed by %(name)s.")
                % {"id": case.pk, "name": case.assigned_to.username}
            )
        before = case_snapshot(case)
        status_ids = selectors.case_status_ids(case)
        content = [("status", i) for i in status_ids]
        if case.content_type not in ("status", "account"):
            content.append((case.content_type, case.content_id))
        if action in CONTENT_ACTIONS and not content:
            raise CaseError(
                _("Case %(id)s is about an account, not content: warn, limit or suspend it.")
                % {"id": case.pk}
            )
        if action == CaseAction.APPROVE:
            if case.hidden:
                for content_type, content_id in content:
                    events.publish(
                        events.ContentActioned(
                            content_type=content_type,
                            content_id=content_id,
                            action="approve",
                            reason=reason,
                            case_id=case.pk,
                        )
                    )
        elif action in CONTENT_ACTIONS:
            # Marked sensitive, hidden content is shown again behind its warning.
            steps = ["approve", "sensitive"] if action == "sensitive" and case.hidden else [action]
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
        elif action in ACCOUNT_ACTIONS:
            # On the account's own trail too; and strike expiry must not lift it.
            audit.account_decided(
                actor=moderator,
                account_id=case.author_id,
                decision=action,
                standing_before=strikes.current_restriction(case.author_id),
                standing_after=ACCOUNT_ACTIONS[action],
                case_id=case.pk,
                note=note,
            )
            strikes.policy_restriction_clear(account_id=case.author_id)
            events.publish(
                events.AccountRestricted(
                    account_id=case.author_id,
                    restriction=str(ACCOUNT_ACTIONS[action]),
                    reason=reason,
                )
            )

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
        case.reports.filter(outcome=Report.Outcome.PENDING).update(
            outcome=outcome, action_taken_at=now, action_taken_by=moderator
        )
        audit.case_decided(
            actor=moderator,
            case_id=case.pk,
            decision=action,
            bulk=bulk,
            before=before,
            after=case_snapshot(case) | {"status_ids": status_ids, "reason": reason},
            note=note,
        )
        strike_action = STRIKE_FOR_ACTION.get(action)
        author = User.objects.filter(pk=case.author_id).first()
        if strike_action is not None and author is not None:
            strikes.strike_create(
                account=author,
                action=strike_action,
                text=reason,
                status_ids=status_ids,
                case=case,
                created_by=moderator,
                restriction=ACCOUNT_ACTIONS.get(action, "none"),
            )
        transaction.on_commit(lambda: human_review_decisions_total.labels(action=action).inc())
        _refresh_metrics_on_commit()
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
        _refresh_metrics_on_commit()
    return case


# Mastodon admin API: account actions ---------------------------------------------

# POST /api/v1/admin/accounts/:id/action "type" -> the case action (None: a warning only).
ADMIN_ACTION_TYPES = {
    "none": CaseAction.WARN,
    "sensitive": CaseAction.SENSITIVE,
    "disable": "disable",
    "silence": CaseAction.LIMIT,
    "suspend": CaseAction.SUSPEND,
}


def account_action(
    *, moderator, account, type: str, text: str = "", report: Report | None = None
) -> None:
    """Mastodon's admin account action: restrict or warn ``account``, resolving ``report``.

    With an open report its case is decided with the matching action (so its
    statuses are handled as the queue would); otherwise the restriction is published
    and a strike given directly.
    """
    if type not in ADMIN_ACTION_TYPES:
        raise Invalid({"type": [_("must be one of %(t)s") % {"t": ", ".join(ADMIN_ACTION_TYPES)}]})
    if report is not None and report.target_account_id != account.pk:
        raise Invalid({"report_id": [_("the report is about another account")]})
    action = ADMIN_ACTION_TYPES[type]
    with transaction.atomic():
        if report is not None and report.case.is_open and action != "disable":
            try:
                case_act(case=report.case, moderator=moderator, action=action, reason=text)
            except CaseError as error:
                raise Invalid({"report_id": [str(error)]}) from None
            return
        strike_action = {
            "none": Strike.Action.NONE,
            "sensitive": Strike.Action.SENSITIVE,
            "disable": Strike.Action.DISABLE,
            "silence": Strike.Action.SILENCE,
            "suspend": Strike.Action.SUSPEND,
        }[type]
        restriction = {
            "disable": Standing.DISABLED,
            "silence": Standing.LIMITED,
            "suspend": Standing.SUSPENDED,
        }.get(type)
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
            action=strike_action,
            text=text,
            created_by=moderator,
            restriction=restriction or "none",
        )
        transaction.on_commit(lambda: human_review_decisions_total.labels(action=str(action)).inc())


# POST /api/v1/admin/accounts/:id/{enable,unsilence,unsuspend} -> the standing each lifts.
LIFTS = {
    "enable": Standing.DISABLED,
    "unsilence": Standing.LIMITED,
    "unsuspend": Standing.SUSPENDED,
}


def account_standing_lift(*, moderator, account, type: str, text: str = "") -> None:
    """Mastodon's ``enable``, ``unsilence`` and ``unsuspend``: lift that standing.

    Allowed only while the account is in the standing ``type`` lifts, as Mastodon's
    policy has it (403 otherwise). Audited; the lift reaches accounts, which owns the
    standing, through ``AccountRestricted`` with ``none``.
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
