"""The audit trail: one small function per audited event, each appending one row.

Every app writes :class:`~core.models.AuditEntry` rows only through these functions
(after Saleor's ``giftcard/events.py`` and Zulip's ``RealmAuditLog``), so each
event's action, target and before/after shape is written in one place, and apps
below moderation (billing, role changes) have a trail as well. Nothing changes or
deletes a row, and no behaviour may read one back: a decision that depends on what
happened before keeps state of its own.

``actor`` is the user who acted, None for the system, or a plain name for someone
outside the web (``manage.py (alice)``). Arguments are ids and plain values, not
instances of the apps' models: core sits below every app.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.models import AuditAction, AuditEntry

Snapshot = dict[str, Any] | None


def _actor(actor) -> tuple[int | None, str]:
    if isinstance(actor, str):
        return None, actor[:150]
    return getattr(actor, "pk", None), (getattr(actor, "username", "") or "")[:150]


def _entry(
    *,
    actor,
    action: AuditAction,
    target_type: str,
    target_id: int,
    before: Snapshot = None,
    after: Snapshot = None,
    note: str = "",
) -> AuditEntry:
    actor_id, actor_name = _actor(actor)
    return AuditEntry(
        actor_id=actor_id,
        actor_name=actor_name,
        action=AuditAction(action),
        target_type=target_type,
        target_id=int(target_id),
        before=before or {},
        after=after or {},
        note=note or "",
    )


def _append(**fields) -> AuditEntry:
    entry = _entry(**fields)
    entry.save()
    return entry


# Review cases ------------------------------------------------------------------


def case_queued(*, case_id: int, created: bool, before: Snapshot, after: Snapshot) -> AuditEntry:
    """The automated pipeline opened a case (``created``) or joined the open one."""
    return _append(
        actor=None,
        action=AuditAction.CASE_OPENED if created else AuditAction.CASE_JOINED,
        target_type="case",
        target_id=case_id,
        before=before,
        after=after,
    )


def report_filed(*, actor, case_id: int, before: Snapshot, after: Snapshot) -> AuditEntry:
    """``actor`` filed a report, which opened or joined case ``case_id``."""
    return _append(
        actor=actor,
        action=AuditAction.REPORT_FILED,
        target_type="case",
        target_id=case_id,
        before=before,
        after=after,
    )


def case_claimed(*, actor, case_id: int, before: Snapshot, after: Snapshot) -> AuditEntry:
    return _append(
        actor=actor,
        action=AuditAction.CASE_CLAIMED,
        target_type="case",
        target_id=case_id,
        before=before,
        after=after,
    )


def case_unclaimed(*, actor, case_id: int, before: Snapshot, after: Snapshot) -> AuditEntry:
    return _append(
        actor=actor,
        action=AuditAction.CASE_UNCLAIMED,
        target_type="case",
        target_id=case_id,
        before=before,
        after=after,
    )


_CASE_DECISIONS = {
    (decision, bulk): AuditAction(f"case_{decision}" + ("_bulk" if bulk else ""))
    for decision in ("approve", "hide", "remove", "sensitive", "limit", "suspend", "warn")
    for bulk in (False, True)
}


def case_decided(
    *,
    actor,
    case_id: int,
    decision: str,
    bulk: bool = False,
    before: Snapshot,
    after: Snapshot,
    note: str = "",
) -> AuditEntry:
    """``actor`` decided the case (``decision`` is a case action), alone or in a bulk action.

    Raises ValueError for an unknown decision.
    """
    try:
        action = _CASE_DECISIONS[(str(decision), bool(bulk))]
    except KeyError:
        raise ValueError(f"unknown case decision {decision!r}") from None
    return _append(
        actor=actor,
        action=action,
        target_type="case",
        target_id=case_id,
        before=before,
        after=after,
        note=note,
    )


def case_reopened(
    *, actor, case_id: int, before: Snapshot, after: Snapshot, note: str = ""
) -> AuditEntry:
    return _append(
        actor=actor,
        action=AuditAction.CASE_REOPENED,
        target_type="case",
        target_id=case_id,
        before=before,
        after=after,
        note=note,
    )


# Accounts ----------------------------------------------------------------------

_ACCOUNT_DECISIONS = {
    "none": AuditAction.ACCOUNT_NONE,
    "sensitive": AuditAction.ACCOUNT_SENSITIVE,
    "limit": AuditAction.ACCOUNT_LIMIT,
    "silence": AuditAction.ACCOUNT_SILENCE,
    "suspend": AuditAction.ACCOUNT_SUSPEND,
    "disable": AuditAction.ACCOUNT_DISABLE,
    "enable": AuditAction.ACCOUNT_ENABLE,
    "unsilence": AuditAction.ACCOUNT_UNSILENCE,
    "unsuspend": AuditAction.ACCOUNT_UNSUSPEND,
}


def account_decided(
    *,
    actor,
    account_id: int,
    decision: str,
    standing_before: str,
    standing_after: str,
    case_id: int | None = None,
    note: str = "",
) -> AuditEntry:
    """A moderator restricted, warned or lifted an account (from a case or the admin API).

    ``decision`` is a case action (``limit``, ``suspend``) or the type of Mastodon's
    admin account action (``none``, ``sensitive``, ``silence``, ``suspend``,
    ``disable``, ``enable``, ``unsilence``, ``unsuspend``). Raises ValueError for another.
    """
    try:
        action = _ACCOUNT_DECISIONS[str(decision)]
    except KeyError:
        raise ValueError(f"unknown account decision {decision!r}") from None
    after: dict[str, Any] = {"restriction": str(standing_after)}
    if case_id is not None:
        after["case"] = case_id
    return _append(
        actor=actor,
        action=action,
        target_type="account",
        target_id=account_id,
        before={"restriction": str(standing_before)},
        after=after,
        note=note,
    )


def strike_created(
    *,
    actor,
    account_id: int,
    strike_id: int,
    strike_action: str,
    status_ids: Iterable[int] = (),
    note: str = "",
) -> AuditEntry:
    return _append(
        actor=actor,
        action=AuditAction.STRIKE_CREATED,
        target_type="account",
        target_id=account_id,
        after={"strike": strike_id, "action": strike_action, "status_ids": list(status_ids)},
        note=note,
    )


def strike_policy_restricted(
    *, actor, account_id: int, standing_before: str, standing_after: str, note: str
) -> AuditEntry:
    """The strike policy set the account's standing (restricted it, or lifted it on expiry)."""
    return _append(
        actor=actor,
        action=AuditAction.STRIKE_POLICY_RESTRICTED,
        target_type="account",
        target_id=account_id,
        before={"restriction": str(standing_before)},
        after={"restriction": str(standing_after)},
        note=note,
    )


# The automated pipeline's settings ----------------------------------------------


def policy_changed(
    *, actor, policy_id: int, before: Snapshot, after: Snapshot, note: str = ""
) -> AuditEntry:
    return _append(
        actor=actor,
        action=AuditAction.POLICY_CHANGED,
        target_type="policy",
        target_id=policy_id,
        before=before,
        after=after,
        note=note,
    )


def known_media_hash_saved(
    *, actor, hash_id: int, before: Snapshot, after: Snapshot, note: str = ""
) -> AuditEntry:
    """A hash added to the known-media list (``before`` None) or changed."""
    return _append(
        actor=actor,
        action=(
            AuditAction.KNOWN_MEDIA_HASH_ADDED
            if before is None
            else AuditAction.KNOWN_MEDIA_HASH_CHANGED
        ),
        target_type="known_media_hash",
        target_id=hash_id,
        before=before,
        after=after,
        note=note,
    )


def known_media_hash_deleted(
    *, actor, hash_id: int, before: Snapshot, note: str = ""
) -> AuditEntry:
    return _append(
        actor=actor,
        action=AuditAction.KNOWN_MEDIA_HASH_DELETED,
        target_type="known_media_hash",
        target_id=hash_id,
        before=before,
        note=note,
    )


# Personal data -------------------------------------------------------------------


def personal_data_viewed(*, actor, target_type: str, target_id: int, what: str) -> AuditEntry:
    """Someone saw personal data in the back office (a case page, an admin API account)."""
    return _append(
        actor=actor,
        action=AuditAction.PERSONAL_DATA_VIEWED,
        target_type=target_type,
        target_id=target_id,
        note=what,
    )


def personal_data_viewed_many(
    *, actor, target_type: str, views: Iterable[tuple[int, str]]
) -> list[AuditEntry]:
    """:func:`personal_data_viewed` for each ``(target_id, what)`` of a page, in one INSERT."""
    return AuditEntry.objects.bulk_create(
        [
            _entry(
                actor=actor,
                action=AuditAction.PERSONAL_DATA_VIEWED,
                target_type=target_type,
                target_id=target_id,
                note=what,
            )
            for target_id, what in views
        ]
    )


# Back-office roles ------------------------------------------------------------------


def role_granted(*, actor, user, role: str, is_staff: bool) -> AuditEntry:
    """``actor`` (often a ``manage.py`` operator's name) gave ``user`` the back-office ``role``."""
    return _append(
        actor=actor,
        action=AuditAction.ROLE_GRANTED,
        target_type="user",
        target_id=user.pk,
        after={"role": role, "is_staff": is_staff},
        note=f"{role} to {user.username}",
    )


def role_revoked(*, actor, user, role: str, is_staff: bool) -> AuditEntry:
    """``actor`` took the back-office ``role`` from ``user`` (``is_staff``: what they keep)."""
    return _append(
        actor=actor,
        action=AuditAction.ROLE_REVOKED,
        target_type="user",
        target_id=user.pk,
        before={"role": role},
        after={"is_staff": is_staff},
        note=f"{role} from {user.username}",
    )


# Billing ---------------------------------------------------------------------------


def payout_hold_placed(
    *, actor, hold_id: int, creator_id: int, kind: str, reason: str
) -> AuditEntry:
    """Payouts to ``creator_id`` were held (by finance, or by the system for a suspension
    or a dispute)."""
    return _append(
        actor=actor,
        action=AuditAction.PAYOUT_HOLD_PLACED,
        target_type="payout_hold",
        target_id=hold_id,
        after={"creator_id": creator_id, "kind": kind},
        note=reason,
    )


def payout_hold_released(
    *, actor, hold_id: int, creator_id: int, kind: str, reason: str
) -> AuditEntry:
    """A payout hold on ``creator_id`` was released, with the releaser's ``reason``."""
    return _append(
        actor=actor,
        action=AuditAction.PAYOUT_HOLD_RELEASED,
        target_type="payout_hold",
        target_id=hold_id,
        before={"creator_id": creator_id, "kind": kind, "open": True},
        after={"open": False},
        note=reason,
    )


def stripe_events_replayed(*, actor, event_ids: Iterable[int]) -> list[AuditEntry]:
    """Finance sent failed Stripe events to be processed again."""
    return AuditEntry.objects.bulk_create(
        [
            _entry(
                actor=actor,
                action=AuditAction.STRIPE_EVENT_REPLAYED,
                target_type="stripe_event",
                target_id=event_id,
            )
            for event_id in event_ids
        ]
    )


def billing_exported(*, actor, period: str, rows: int) -> AuditEntry:
    """Finance exported a period's ledger (``period``: ``YYYY-MM``)."""
    return _append(
        actor=actor,
        action=AuditAction.BILLING_EXPORTED,
        target_type="billing_period",
        target_id=int(period.replace("-", "")),
        after={"rows": rows},
        note=period,
    )


# Live streams ----------------------------------------------------------------------


def live_stream_killed(
    *, actor, stream_id: int, account_id: int, state_before: str, reason: str
) -> AuditEntry:
    """Staff's kill switch: ``actor`` ended the stream and rotated its key, for ``reason``."""
    return _append(
        actor=actor,
        action=AuditAction.LIVE_STREAM_KILLED,
        target_type="live_stream",
        target_id=stream_id,
        before={"account_id": account_id, "state": state_before},
        after={"state": "ended", "key_rotated": True},
        note=reason,
    )


def live_restricted(
    *, actor, account_id: int, reason: str, until: str | None, before: dict | None = None
) -> AuditEntry:
    """Staff barred ``account_id`` from going live, for ``reason``, until ``until`` (or for good)."""
    return _append(
        actor=actor,
        action=AuditAction.LIVE_RESTRICTED,
        target_type="account",
        target_id=account_id,
        before=before or {},
        after={"until": until},
        note=reason,
    )


def live_chat_message_moderated(
    *, actor, message_id: int, stream_id: int, author_id: int, state_before: str, state: str,
    reason: str,
) -> AuditEntry:  # fmt: skip
    """Staff hid (``state`` hidden or removed) or restored (visible) a live chat message."""
    return _append(
        actor=actor,
        action=(
            AuditAction.LIVE_CHAT_MESSAGE_RESTORED
            if state == "visible"
            else AuditAction.LIVE_CHAT_MESSAGE_HIDDEN
        ),
        target_type="live_chat_message",
        target_id=message_id,
        before={"stream_id": stream_id, "author_id": author_id, "state": state_before},
        after={"state": state},
        note=reason,
    )


def live_restriction_lifted(
    *, actor, account_id: int, reason: str, until: str | None
) -> AuditEntry:
    """Staff lifted ``account_id``'s bar from going live (it ran ``until``)."""
    return _append(
        actor=actor,
        action=AuditAction.LIVE_RESTRICTION_LIFTED,
        target_type="account",
        target_id=account_id,
        before={"until": until},
        after={},
        note=reason,
    )


def live_channel_ban_changed(
    *, actor, channel_id: int, account_id: int, banned: bool, reason: str = ""
) -> AuditEntry:
    """Staff banned (``banned``) ``account_id`` from ``channel_id``'s chats, or lifted the ban."""
    return _append(
        actor=actor,
        action=AuditAction.LIVE_CHANNEL_BAN_ADDED
        if banned
        else AuditAction.LIVE_CHANNEL_BAN_REMOVED,
        target_type="account",
        target_id=account_id,
        before={"channel_id": channel_id, "banned": not banned},
        after={"channel_id": channel_id, "banned": banned},
        note=reason,
    )


def live_chat_timeout_changed(
    *, actor, channel_id: int, account_id: int, until, added: bool, reason: str = ""
) -> AuditEntry:
    """Staff timed ``account_id`` out of ``channel_id``'s chats until ``until`` (``added``),
    or lifted that timeout."""
    return _append(
        actor=actor,
        action=AuditAction.LIVE_CHAT_TIMEOUT_ADDED
        if added
        else AuditAction.LIVE_CHAT_TIMEOUT_LIFTED,
        target_type="account",
        target_id=account_id,
        before={"channel_id": channel_id, "until": None if added else until.isoformat()},
        after={"channel_id": channel_id, "until": until.isoformat() if added else None},
        note=reason,
    )


def live_channel_moderator_changed(
    *, actor, channel_id: int, moderator_id: int, added: bool
) -> AuditEntry:
    """Staff made ``moderator_id`` a moderator of ``channel_id``'s chats (``added``), or not."""
    return _append(
        actor=actor,
        action=(
            AuditAction.LIVE_CHANNEL_MODERATOR_ADDED
            if added
            else AuditAction.LIVE_CHANNEL_MODERATOR_REMOVED
        ),
        target_type="account",
        target_id=moderator_id,
        before={"channel_id": channel_id, "moderator": not added},
        after={"channel_id": channel_id, "moderator": added},
    )


def shield_lowered(*, actor, shield_id: int, account_id: int, reason: str = "") -> AuditEntry:
    """Staff brought ``account_id``'s shield (``shield_id``) down before its time."""
    return _append(
        actor=actor,
        action=AuditAction.SHIELD_LOWERED,
        target_type="account",
        target_id=account_id,
        before={"shield_id": shield_id, "active": True},
        after={"shield_id": shield_id, "active": False},
        note=reason,
    )


# Link safety ------------------------------------------------------------------------


def blocked_domain_saved(
    *, actor, domain_id: int, before: Snapshot, after: Snapshot, note: str = ""
) -> AuditEntry:
    """A domain added to the link blocklist (``before`` None) or changed (severity, reason)."""
    return _append(
        actor=actor,
        action=(
            AuditAction.BLOCKED_DOMAIN_ADDED
            if before is None
            else AuditAction.BLOCKED_DOMAIN_CHANGED
        ),
        target_type="blocked_domain",
        target_id=domain_id,
        before=before,
        after=after,
        note=note,
    )


def blocked_domains_saved_many(
    *, actor, changes: Iterable[tuple[int, Snapshot, Snapshot]], note: str = ""
) -> list[AuditEntry]:
    """:func:`blocked_domain_saved` for each ``(domain_id, before, after)`` of an import, in
    one INSERT."""
    return AuditEntry.objects.bulk_create(
        [
            _entry(
                actor=actor,
                action=(
                    AuditAction.BLOCKED_DOMAIN_ADDED
                    if before is None
                    else AuditAction.BLOCKED_DOMAIN_CHANGED
                ),
                target_type="blocked_domain",
                target_id=domain_id,
                before=before,
                after=after,
                note=note,
            )
            for domain_id, before, after in changes
        ]
    )


def blocked_domain_deleted(
    *, actor, domain_id: int, before: Snapshot, note: str = ""
) -> AuditEntry:
    return _append(
        actor=actor,
        action=AuditAction.BLOCKED_DOMAIN_DELETED,
        target_type="blocked_domain",
        target_id=domain_id,
        before=before,
        note=note,
    )


def lookalike_flag_decided(
    *, actor, flag_id: int, account_id: int, decision: str, note: str = ""
) -> AuditEntry:
    """A moderator resolved (acted on the account) or dismissed (a false alarm) a lookalike
    name flag. Raises ValueError for another ``decision``."""
    actions = {
        "resolved": AuditAction.LOOKALIKE_FLAG_RESOLVED,
        "dismissed": AuditAction.LOOKALIKE_FLAG_DISMISSED,
    }
    try:
        action = actions[str(decision)]
    except KeyError:
        raise ValueError(f"unknown lookalike flag decision {decision!r}") from None
    return _append(
        actor=actor,
        action=action,
        target_type="lookalike_flag",
        target_id=flag_id,
        before={"state": "open", "account_id": account_id},
        after={"state": str(decision)},
        note=note,
    )


def reputation_recomputed(
    *, actor, account_id: int, before: dict, after: dict, note: str = ""
) -> AuditEntry:
    """Staff had ``account_id``'s trust score recomputed (``before``/``after``: score, level)."""
    return _append(
        actor=actor,
        action=AuditAction.REPUTATION_RECOMPUTED,
        target_type="account",
        target_id=account_id,
        before=before,
        after=after,
        note=note,
    )
