"""Community reports (Mastodon's ``POST /api/v1/reports``): checked, then joined to a case.

:func:`report_create` reads as its steps: find the reported account, check the
category, read the ids, check the statuses and the rules, then file the report on
the open case about the content (opening one when there is none). The checks run
in the order clients have always seen their errors in.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from apps.moderation import selectors
from apps.moderation.audit import case_snapshot
from apps.moderation.metrics import content_reports_total
from apps.moderation.models import Case, Report, Rule
from core import audit, events
from core.errors import Invalid, NotFound
from core.ids import parse_id

from .queue import case_open_or_join, case_recompute, refresh_metrics_on_commit

User = get_user_model()


def _int_ids(values: Iterable, field: str) -> list[int]:
    ids = []
    for value in values or ():
        number = parse_id(value)
        if number is None:
            raise Invalid({field: [_("%(value)s is not an id") % {"value": value}]})
        ids.append(number)
    return sorted(set(ids))


def _ids_text(ids: Iterable[int]) -> str:
    return ", ".join(map(str, ids))


def _reported_account(*, reporter, account_id):
    """The active account ``account_id`` names; NotFound otherwise, Invalid for oneself."""
    target_id = parse_id(account_id)
    target = User.objects.filter(pk=target_id, is_active=True).first() if target_id else None
    if target is None:
        raise NotFound(_("Record not found"))
    if target.pk == reporter.pk:
        raise Invalid({"account_id": [_("you cannot report yourself")]})
    return target


def _category_checked(category: str | None) -> str:
    if not category:
        raise Invalid({"category": [_("is missing")]})
    if category not in Report.Category.values:
        choices = ", ".join(Report.Category.values)
        raise Invalid({"category": [_("must be one of %(choices)s") % {"choices": choices}]})
    return category


def _statuses_check(*, reporter, target, statuses: list[int]) -> None:
    """Each reported status is one the reporter may see, by the reported account."""
    from apps.feed.models import Status

    if not statuses:
        return
    found = dict(
        Status.objects.visible_to(reporter).filter(pk__in=statuses).values_list("pk", "account_id")
    )
    unknown = [i for i in statuses if i not in found]
    if unknown:
        raise Invalid({"status_ids": [_("unknown status %(ids)s") % {"ids": _ids_text(unknown)}]})
    foreign = [i for i in statuses if found[i] != target.pk]
    if foreign:
        raise Invalid(
            {
                "status_ids": [
                    _("status %(ids)s is not by the reported account") % {"ids": _ids_text(foreign)}
                ]
            }
        )


def _broken_rules(*, category: str, rules: list[int]) -> list[Rule]:
    """The rules a report names: all known, and named exactly when it reports a violation."""
    rule_objects = list(Rule.objects.filter(pk__in=rules))
    if len(rule_objects) != len(rules):
        missing = sorted(set(rules) - {r.pk for r in rule_objects})
        raise Invalid({"rule_ids": [_("unknown rule %(ids)s") % {"ids": _ids_text(missing)}]})
    if rules and category != Report.Category.VIOLATION:
        raise Invalid({"rule_ids": [_("rules go with the category violation only")]})
    if category == Report.Category.VIOLATION and not rules:
        raise Invalid({"rule_ids": [_("a violation report names the rules broken")]})
    return rule_objects


def _report_file(
    *,
    reporter,
    target,
    statuses: list[int],
    rules: list[Rule],
    category: str,
    comment: str,
    forward: bool,
) -> Report:
    """Write the report on the open case about its content, audited; ``ReportFiled`` after.

    The case is about the first reported status, or about the account when no
    status is named. Runs in one transaction.
    """
    trust = selectors.reporter_trust(reporter_id=reporter.pk)
    content_type, content_id = ("status", statuses[0]) if statuses else ("account", target.pk)
    with transaction.atomic():
        case, created = case_open_or_join(
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
        if rules:
            report.rules.set(rules)
        case.report_count += 1
        case.reporter_weight = round(case.reporter_weight + trust, 4)
        case_recompute(case)
        case.save()
        audit.report_filed(
            actor=reporter,
            case_id=case.pk,
            before=before,
            after=case_snapshot(case) | {"report": report.pk, "category": category},
        )
        transaction.on_commit(lambda: content_reports_total.labels(category=category).inc())
        refresh_metrics_on_commit()
        events.publish(
            events.ReportFiled(
                report_id=report.pk,
                reporter_id=reporter.pk,
                target_account_id=target.pk,
                content_ids=tuple(statuses),
            )
        )
    return report


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

    ``account_id``, ``status_ids`` and ``rule_ids`` are ids as the client sent them.
    Raises NotFound for an unknown account, Invalid (422) for any other bad input;
    nothing is written then.
    """
    target = _reported_account(reporter=reporter, account_id=account_id)
    category = _category_checked(category)
    statuses = _int_ids(status_ids, "status_ids")
    rule_ids = _int_ids(rule_ids, "rule_ids")
    _statuses_check(reporter=reporter, target=target, statuses=statuses)
    rules = _broken_rules(category=category, rules=rule_ids)
    return _report_file(
        reporter=reporter,
        target=target,
        statuses=statuses,
        rules=rules,
        category=category,
        comment=comment,
        forward=forward,
    )
