"""Strikes (Mastodon account warnings) and the policy that turns them into restrictions.

A strike is published as :class:`core.events.AccountWarned` (the feed notifies the
author with ``moderation_warning``). :func:`strike_policy_apply` counts the
account's active strikes against ``MODERATION_STRIKE_POLICY`` ("count:days:restriction",
strictest first) and publishes :class:`core.events.AccountRestricted` when a rule is
met and the account is not already under that restriction or a stricter one.
Strikes expire after ``MODERATION_STRIKE_EXPIRY_DAYS``: every query counts only
active ones, and the hourly :func:`strikes_expire` lifts a restriction the policy
no longer supports. Which restrictions the policy set is its own state
(:class:`~apps.moderation.models.PolicyRestriction`), never read from the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Standing, User
from apps.moderation.models import Case, PolicyRestriction, Strike
from core import audit, events

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
        audit.strike_created(
            actor=created_by,
            account_id=account.pk,
            strike_id=strike.pk,
            strike_action=action,
            status_ids=strike.status_ids,
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
    _policy_restriction_record(account_id=account_id, restriction=rule.restriction, now=now)
    audit.strike_policy_restricted(
        actor=actor,
        account_id=account_id,
        standing_before=current,
        standing_after=rule.restriction,
        note=reason,
    )
    events.publish(
        events.AccountRestricted(
            account_id=account_id, restriction=str(rule.restriction), reason=reason
        )
    )
    return rule.restriction


def _policy_restriction_record(*, account_id: int, restriction: Standing, now: dt.datetime) -> None:
    """Remember that the policy, not a person, put the account in ``restriction``."""
    if restriction == Standing.NONE:
        PolicyRestriction.objects.filter(account_id=account_id).delete()
        return
    PolicyRestriction.objects.update_or_create(
        account_id=account_id, defaults={"restriction": str(restriction), "set_at": now}
    )


def policy_restriction_clear(*, account_id: int) -> None:
    """A moderator decided the account's standing: expiry must not lift what they decided.

    Call in the transaction that publishes the moderator's decision.
    """
    PolicyRestriction.objects.filter(account_id=account_id).delete()


def strikes_expire(*, now: dt.datetime | None = None) -> int:
    """Mark strikes past their expiry; lift policy restrictions they no longer support.

    Only a restriction the strike policy set, and still in force as it set it (its
    :class:`~apps.moderation.models.PolicyRestriction`), is lifted or lowered, never
    a moderator's own decision. Returns how many strikes expired.
    """
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
        account_ids = sorted({account_id for _, account_id in expired})
        set_by_policy = dict(
            PolicyRestriction.objects.select_for_update()
            .filter(account_id__in=account_ids)
            .values_list("account_id", "restriction")
        )
        for account_id in account_ids:
            current = current_restriction(account_id)
            if current == Standing.NONE or set_by_policy.get(account_id) != current:
                continue
            rule = _policy_restriction(account_id, now=now)
            wanted = rule.restriction if rule else Standing.NONE
            if wanted == current:
                continue
            _policy_restriction_record(account_id=account_id, restriction=wanted, now=now)
            audit.strike_policy_restricted(
                actor=None,
                account_id=account_id,
                standing_before=current,
                standing_after=wanted,
                note="strikes expired",
            )
            events.publish(
                events.AccountRestricted(
                    account_id=account_id, restriction=str(wanted), reason="strikes expired"
                )
            )
    return len(expired)
