"""The shield: raising it (for a pile-on, or the account's own wish), lowering it, its recap.

While an account's shield is up:

- notifications from accounts it does not follow, and from new accounts, are filtered
  into its notification requests (the feed's notification policy, tightened until
  the shield's ``until``: :func:`apps.feed.services.notification_policies.notifications_shield_set`);
- the hostile strangers of a pile-on are muted for it until ``until`` (mutes the
  account already had are left as they were);
- its scheduled statuses are held (the feed, on ``ShieldChanged``), never dropped.

Raising publishes ``ShieldChanged`` (and ``PileOnDetected`` for a pile-on: moderation
opens one case grouping it) and tells the account, in an ``agora:shield``
notification, what happened and what the shield does. Lowering — when its time runs
out (:func:`shields_expire_due`, every minute), or early by the account or staff —
takes back the mutes it made, ends the tightening, releases the scheduled statuses
and sends the recap: how many strangers were muted and notifications filtered.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed.models import Notification
from apps.feed.services.notification_policies import (
    notifications_filtered_count,
    notifications_shield_set,
)
from apps.feed.services.notifications import system_notification_create
from apps.feed.services.relationships import accounts_mute_until, accounts_unmute_if_until
from apps.protection import metrics
from apps.protection.models import Shield, ShieldSender
from core import audit, errors, events

logger = logging.getLogger(__name__)


def shield_explanation(shield: Shield) -> str:
    if shield.source == Shield.Source.PILE_ON:
        what = _(
            "Many accounts you don't follow sent you hostile replies or mentions in a short "
            "time, so we raised your shield."
        )
    else:
        what = _("You raised your shield.")
    return " ".join(
        [
            str(what),
            str(
                _(
                    "Until %(until)s, notifications from accounts you don't follow and from "
                    "new accounts wait in your notification requests, the hostile accounts "
                    "are muted for you, and your scheduled posts are held. You can lower it "
                    "at any time."
                )
                % {"until": shield.until.strftime("%Y-%m-%d %H:%M UTC")}
            ),
        ]
    )


def shield_payload(shield: Shield, *, state: str) -> dict[str, Any]:
    """What the ``agora:shield`` notification and the API tell about a shield."""
    payload: dict[str, Any] = {
        "shield": {
            "state": state,
            "source": shield.source,
            "started_at": shield.started_at.isoformat(),
            "until": shield.until.isoformat(),
            "explanation": shield_explanation(shield),
        }
    }
    if shield.recap is not None:
        payload["shield"]["recap"] = shield.recap
    return payload


def _active_locked(account_id: int) -> Shield | None:
    return Shield.objects.select_for_update().active().filter(account_id=account_id).first()


def shield_senders_add(*, shield: Shield, senders: dict[int, tuple[list[int], float]]) -> int:
    """Add hostile strangers to a shield (``{sender id: (content ids, hostility)}``) and mute
    them for the account until the shield's end; how many were new to it."""
    if not senders:
        return 0
    known = dict(
        ShieldSender.objects.filter(shield=shield, sender_id__in=list(senders)).values_list(
            "sender_id", "pk"
        )
    )
    new = {sender: info for sender, info in senders.items() if sender not in known}
    muted = set(
        accounts_mute_until(account_id=shield.account_id, target_ids=list(new), until=shield.until)
    )
    ShieldSender.objects.bulk_create(
        [
            ShieldSender(
                shield=shield,
                sender_id=sender,
                content_ids=sorted(content_ids),
                hostility=hostility,
                muted=sender in muted,
            )
            for sender, (content_ids, hostility) in new.items()
        ],
        ignore_conflicts=True,
    )
    for sender, (content_ids, _hostility) in senders.items():
        if sender in known and content_ids:
            row = ShieldSender.objects.get(pk=known[sender])
            row.content_ids = sorted(set(row.content_ids) | set(content_ids))
            row.save(update_fields=["content_ids"])
    return len(new)


def shield_raise(
    *,
    account_id: int,
    source: str,
    until: datetime,
    detection: dict | None = None,
    senders: dict[int, tuple[list[int], float]] | None = None,
    now: datetime | None = None,
) -> tuple[Shield, bool]:
    """Raise the account's shield until ``until``, or extend the one that is up; (shield, raised).

    A shield already up is kept (never shortened) and takes the new senders. In one
    transaction with the events it publishes.
    """
    now = now or timezone.now()
    with transaction.atomic():
        shield = _active_locked(account_id)
        raised = shield is None
        if shield is None:
            try:
                with transaction.atomic():
                    shield = Shield.objects.create(
                        account_id=account_id,
                        source=source,
                        started_at=now,
                        until=until,
                        detection=detection or {},
                    )
            except IntegrityError:
                # Another worker raised it at the same moment: join theirs.
                shield = _active_locked(account_id)
                if shield is None:
                    raise
                raised = False
        if not raised and until > shield.until:
            shield.until = until
            shield.save(update_fields=["until"])
        shield_senders_add(shield=shield, senders=senders or {})
        notifications_shield_set(account_id=account_id, until=shield.until)
        if raised:
            events.publish(
                events.ShieldChanged(
                    account_id=account_id,
                    active=True,
                    source=source,
                    until=shield.until.isoformat(),
                )
            )
            system_notification_create(
                account_id=account_id,
                type=Notification.Type.SHIELD,
                payload=shield_payload(shield, state="raised"),
            )
            transaction.on_commit(lambda: metrics.shields_raised_total.labels(source=source).inc())
    return shield, raised


def pile_on_raise(
    *,
    account_id: int,
    detection: dict,
    senders: dict[int, tuple[list[int], float]],
    since: datetime,
    now: datetime | None = None,
) -> Shield:
    """A pile-on was detected: raise the shield for PROTECTION_SHIELD_DAYS and tell moderation."""
    now = now or timezone.now()
    until = now + timedelta(days=settings.PROTECTION_SHIELD_DAYS)
    with transaction.atomic():
        shield, raised = shield_raise(
            account_id=account_id,
            source=Shield.Source.PILE_ON,
            until=until,
            detection=detection,
            senders=senders,
            now=now,
        )
        if raised:
            events.publish(
                events.PileOnDetected(
                    account_id=account_id,
                    shield_id=shield.pk,
                    sender_ids=tuple(sorted(senders)),
                    content_ids=tuple(sorted({c for ids, _h in senders.values() for c in ids})),
                    since=since.isoformat(),
                    until=shield.until.isoformat(),
                )
            )
            logger.info(
                "pile-on detected: shield raised",
                extra={"account_id": account_id, "shield_id": shield.pk, **detection},
            )
    return shield


def shield_case_set(*, shield_id: int, case_id: int) -> None:
    """Moderation opened the case grouping the pile-on."""
    Shield.objects.filter(pk=shield_id).update(case_id=case_id)


def shield_lower(
    *, shield: Shield, reason: str, actor=None, note: str = "", now: datetime | None = None
) -> Shield:
    """Bring the shield down: take back its mutes, end the tightening, send the recap.

    Idempotent: a shield already down is returned as it is.
    """
    now = now or timezone.now()
    with transaction.atomic():
        shield = Shield.objects.select_for_update().get(pk=shield.pk)
        if not shield.is_active:
            return shield
        muted_ids = list(
            ShieldSender.objects.filter(shield=shield, muted=True).values_list(
                "sender_id", flat=True
            )
        )
        accounts_unmute_if_until(
            account_id=shield.account_id, target_ids=muted_ids, until=shield.until
        )
        end = min(now, shield.until)
        shield.recap = {
            "muted": len(muted_ids),
            "filtered": notifications_filtered_count(
                account_id=shield.account_id, since=shield.started_at, until=end
            ),
        }
        shield.ended_at = now
        shield.end_reason = reason
        shield.save(update_fields=["recap", "ended_at", "end_reason"])
        notifications_shield_set(account_id=shield.account_id, until=None)
        events.publish(
            events.ShieldChanged(account_id=shield.account_id, active=False, source=shield.source)
        )
        system_notification_create(
            account_id=shield.account_id,
            type=Notification.Type.SHIELD,
            payload=shield_payload(shield, state="lowered"),
        )
        if actor is not None:
            audit.shield_lowered(
                actor=actor, shield_id=shield.pk, account_id=shield.account_id, reason=note
            )
    return shield


def shields_expire_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Lower the shields whose time ran out (the task ``protection.shields_expire``)."""
    now = now or timezone.now()
    due = list(Shield.objects.active().filter(until__lte=now).order_by("until")[:batch])
    for shield in due:
        shield_lower(shield=shield, reason=Shield.EndReason.EXPIRED, now=now)
    return len(due)


def shield_set_by_account(
    *, account, active: Any, days: Any = None, now: datetime | None = None
) -> Shield | None:
    """``PUT /api/agora/v1/protection/shield``: the account raises or lowers its own shield.

    ``days`` (raising only) from PROTECTION_SHIELD_MIN_DAYS to PROTECTION_SHIELD_MAX_DAYS,
    PROTECTION_SHIELD_DAYS when left out. Raises :class:`core.errors.Invalid` for anything
    else, changing nothing. Returns the shield now up, or None.
    """
    if not isinstance(active, bool):
        raise errors.Invalid({"active": [_("must be true or false")]})
    now = now or timezone.now()
    if not active:
        if days is not None:
            raise errors.Invalid({"days": [_("only when raising the shield")]})
        shield = Shield.objects.active().filter(account=account).first()
        if shield is not None:
            shield_lower(shield=shield, reason=Shield.EndReason.ACCOUNT, now=now)
        return None
    low, high = settings.PROTECTION_SHIELD_MIN_DAYS, settings.PROTECTION_SHIELD_MAX_DAYS
    if days is None:
        days = settings.PROTECTION_SHIELD_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        raise errors.Invalid(
            {
                "days": [
                    _("must be a whole number of days from %(low)s to %(high)s")
                    % {"low": low, "high": high}
                ]
            }
        )
    shield, _raised = shield_raise(
        account_id=account.pk,
        source=Shield.Source.ACCOUNT,
        until=now + timedelta(days=days),
        now=now,
    )
    return shield
