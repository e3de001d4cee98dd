"""Strikes (Mastodon account warnings) and the policy that turns them into restrictions.

A strike is published as :class:`core.events.AccountWarned` (the feed notifies the
author with ``moderation_warning``). :func:`strike_policy_apply` counts the
account's active strikes against ``MODERATION_STRIKE_POLICY`` ("count:days:restriction",
strictest first) and publishes :class:`core.events.AccountRestricted` when a rule is
met and the account is not already under that restriction or a stricter one.
Strikes expire after ``MODERATION_STRIKE_EXPIRY_DAYS``: every query counts only
active ones, and the hourly :func:`strikes_expire` lifts a restriction the policy
no longer supports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Standing, User
from apps.moderation.audit import audit_record
from apps.moderation.models import Case, Strike
from core import events

# Mildest first: none, limited, suspended, disabled (the accounts app's standings).
RESTRICTION_ORDER = tuple(Standing)


@dataclass(frozen=True)
class StrikeRule:
    count: int
    days: int
    restriction: Standing


def strike_policy() -> list[StrikeRule]:
    """The configured rules, strictest restriction first.

    A rule names a standing (``limited``, ``suspended``, ``disabled``; the older
    ``limit``, ``suspend`` and ``disable`` still read). Raises ValueError for another.
    """
    rules = []
    for item in settings.MODERATION_STRIKE_POLICY:
        count, days, restriction = str(item).split(":")
        try:
            standing = Standing.parse(restriction)
        except ValueError:
            raise ValueError(
                f"unknown restriction {restriction!r} in MODERATION_STRIKE_POLICY"
            ) from None
        rules.append(StrikeRule(int(count), int(days), standing))
    return sorted(rules, key=lambda r: Standing.severity(r.restriction), reverse=True)


def current_restriction(account_id: int) -> Standing:
    """The account's standing in force now, as the accounts app records it (``none`` without)."""
    account = User.objects.filter(pk=account_id).only("standing", "standing_until").first()
    return account.standing_in_force if account is not None else Standing.NONE


def strike_create(
    *,
    account,
    action: str,
    text: str = "",
    status_ids: list[int] | tuple[int, ...] = (),
    case: Case | None = None,
    created_by=None,
    restriction: str = "none",
) -> Strike:
    """Give ``account`` a strike, publish ``AccountWarned`` and apply the strike policy.

    ``restriction`` is the one the caller has just published in this transaction (not
    applied until it commits): the policy never publishes a milder one after it.
    """
    if action not in Strike.Action.values:
        raise ValueError(f"unknown strike action {action!r}")
    with transaction.atomic():
        strike = Strike(
            account=account,
            action=action,
            text=text,
            status_ids=[int(i) for i in status_ids],
            case=case,
            created_by=created_by,
            expires_at=timezone.now() + dt.timedelta(days=settings.MODERATION_STRIKE_EXPIRY_DAYS),
        )
        strike.full_clean()
        strike.save()
        audit_record(
            actor=created_by,
            action="strike_created",
            target_type="account",
            target_id=account.pk,
            after={"strike": strike.pk, "action": action, "status_ids": strike.status_ids},
            note=text,
        )
        events.publish(
            events.AccountWarned(
                account_id=account.pk,
                warning_id=strike.pk,
                action=action,
                text=text,
                status_ids=tuple(strike.status_ids),
                created_at=strike.created_at.isoformat(),
            )
        )
        strike_policy_apply(account_id=account.pk, actor=created_by, pending=restriction)
    return strike


def _policy_restriction(account_id: int, *, now: dt.datetime) -> StrikeRule | None:
    for rule in strike_policy():
        since = now - dt.timedelta(days=rule.days)
        count = (
            Strike.objects.active(now=now)
            .filter(account_id=account_id, created_at__gte=since)
            .count()
        )
        if count >= rule.count:
            return rule
    return None


def strike_policy_apply(*, account_id: int, actor=None, pending: str = "none") -> str | None:
    """Restrict the account if its active strikes meet a policy rule; the restriction or None.

    ``pending``: a restriction published in this transaction but not applied yet.
    """
    now = timezone.now()
    rule = _policy_restriction(account_id, now=now)
    if rule is None:
        return None
    try:
        pending_standing = Standing.parse(pending)
    except ValueError:
        pending_standing = Standing.NONE
    current = max(current_restriction(account_id), pending_standing, key=Standing.severity)
    if Standing.severity(current) >= Standing.severity(rule.restriction):
        return None
    reason = f"{rule.count} strikes within {rule.days} days"
    audit_record(
        actor=actor,
        action="strike_policy_restricted",
        target_type="account",
        target_id=account_id,
        before={"restriction": str(current)},
        after={"restriction": str(rule.restriction)},
        note=reason,
    )
    events.publish(
        events.AccountRestricted(
            account_id=account_id, restriction=str(rule.restriction), reason=reason
        )
    )
    return rule.restriction


def strikes_expire(*, now: dt.datetime | None = None) -> int:
    """Mark strikes past their expiry; lift policy restrictions they no longer support.

    Only restrictions the strike policy set (its audit rows) are lifted, never a
    moderator's own decision. Returns how many strikes expired.
    """
    from apps.moderation.models import AuditRecord

    now = now or timezone.now()
    expired = list(
        Strike.objects.filter(expires_at__lte=now, expired_handled=False).values_list(
            "pk", "account_id"
        )
    )
    if not expired:
        return 0
    with transaction.atomic():
        Strike.objects.filter(pk__in=[pk for pk, _ in expired]).update(expired_handled=True)
        for account_id in sorted({account_id for _, account_id in expired}):
            current = current_restriction(account_id)
            if current == Standing.NONE:
                continue
            last = (
                AuditRecord.objects.filter(target_type="account", target_id=account_id)
                .filter(after__has_key="restriction")
                .order_by("-id")
                .first()
            )
            if last is None or last.action != "strike_policy_restricted":
                continue
            rule = _policy_restriction(account_id, now=now)
            wanted = rule.restriction if rule else Standing.NONE
            if wanted == current:
                continue
            audit_record(
                actor=None,
                action="strike_policy_restricted",
                target_type="account",
                target_id=account_id,
                before={"restriction": str(current)},
                after={"restriction": str(wanted)},
                note="strikes expired",
            )
            events.publish(
                events.AccountRestricted(
                    account_id=account_id, restriction=str(wanted), reason="strikes expired"
                )
            )
    return len(expired)
