"""Writes of notifications: who is told of what, dismissing, and moderation's warnings.

Each notification gets its Mastodon 4.3 ``group_key`` when created
(:func:`notification_group_keys`): favourites and reblogs of one status, and
follows, join the recipient's latest group of the same kind while that group
spans less than ``Notification.MAXIMUM_GROUP_SPAN_HOURS``; any other is
``ungrouped-<id>``.

Moderation publishes ``core.events.AccountWarned``; the warned account gets
Mastodon's ``moderation_warning`` notification carrying the AccountWarning entity
(:func:`warning_notify`, called by :mod:`apps.feed.handlers`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed import streaming
from apps.feed.models import Block, ConversationMute, Mute, Notification, Status
from apps.feed.selectors.notifications import group_key_is_valid, notifications_in_group
from apps.feed.services import push
from apps.feed.services.notification_policies import (
    ACCEPT,
    DROP,
    FILTER,
    REQUEST_TYPES,
    notification_requests_record,
    notification_requests_recount,
    notification_verdicts,
)
from core import errors, events, memberships

User = get_user_model()


def _notifiable(*, recipient_ids, actor, status: Status | None = None) -> QuerySet:
    """The accounts among ``recipient_ids`` that ``actor`` may notify, in pk order.

    Not ``actor`` itself, nor anyone who blocks or is blocked by ``actor``, nor anyone
    muting ``actor``'s notifications (a mute whose time ran out no longer counts), nor,
    about ``status``, anyone who muted its thread (Mastodon's conversation mute), nor,
    about a members-only status, anyone but its author and the author's paying members
    (a mention does not reveal it to a non-member; it cannot be reblogged).
    ``recipient_ids`` may be a list or a ``values()`` queryset (then a subquery).
    """
    blocks = Block.objects.filter(
        Q(account=OuterRef("pk"), target=actor) | Q(account=actor, target=OuterRef("pk"))
    )
    mutes = Mute.objects.filter(
        account=OuterRef("pk"), target=actor, hide_notifications=True
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    accounts = (
        User.objects.filter(pk__in=recipient_ids)
        .exclude(pk=actor.pk)
        .exclude(Exists(blocks))
        .exclude(Exists(mutes))
        .order_by("pk")
    )
    thread = _thread_id(status)
    if thread is not None:
        muted = ConversationMute.objects.filter(account=OuterRef("pk"), conversation_id=thread)
        accounts = accounts.exclude(Exists(muted))
    if status is not None and status.members_only:
        creator_id = status.account_id
        # One membership question per recipient: members-only statuses notify few (their
        # mentions, followers asking to be told), and the port answers fan by fan.
        allowed = [
            account.pk
            for account in accounts
            if account.pk == creator_id or memberships.is_member(account, creator_id)
        ]
        accounts = accounts.filter(pk__in=allowed)
    return accounts


def _thread_id(status: Status | None) -> int | None:
    """The thread (conversation) a notification about ``status`` belongs to: a reblog's is
    its original's, as Mastodon's notifications target the original."""
    if status is None:
        return None
    if status.conversation_id is None and status.reblog_of_id is not None:
        return (
            Status.objects.filter(pk=status.reblog_of_id)
            .values_list("conversation_id", flat=True)
            .first()
        )
    return status.conversation_id


def notifiable_account_ids(
    *, recipient_ids, actor, status: Status | None = None, type: str = Notification.Type.MENTION
) -> list[int]:
    """The ids among ``recipient_ids`` that :func:`notifications_create` would notify of
    ``type`` and let through their notification policy (neither filtered nor dropped: a
    filtered direct mention reaches the recipient's conversations once they accept it)."""
    accounts = list(
        _notifiable(recipient_ids=recipient_ids, actor=actor, status=status).values_list(
            "pk", flat=True
        )
    )
    verdicts = notification_verdicts(recipient_ids=accounts, actor=actor, type=type, status=status)
    return [account_id for account_id in accounts if verdicts[account_id] == ACCEPT]


def notifications_create(
    *, recipient_ids, actor, type: str, status: Status | None = None
) -> list[Notification]:
    """Notify each of ``recipient_ids`` that :func:`_notifiable` lets ``actor`` reach, as
    each one's notification policy says (:mod:`.notification_policies`).

    A dropped notification is not stored; a filtered one is stored ``filtered``, neither
    streamed nor pushed, and a filtered mention or quote joins the recipient's request
    from ``actor``. The rest are streamed and pushed after commit. A fixed number of
    queries whatever the number of recipients (none, given an empty list). Returns the
    stored notifications.
    """
    if isinstance(recipient_ids, list) and not recipient_ids:
        return []
    notifiable = list(
        _notifiable(recipient_ids=recipient_ids, actor=actor, status=status).values_list(
            "pk", flat=True
        )
    )
    verdicts = notification_verdicts(
        recipient_ids=notifiable, actor=actor, type=type, status=status
    )
    accounts = [account_id for account_id in notifiable if verdicts[account_id] != DROP]
    group_keys = notification_group_keys(account_ids=accounts, type=type, status=status)
    notifications = [
        Notification(
            account_id=account_id,
            from_account=actor,
            type=type,
            status=status,
            filtered=verdicts[account_id] == FILTER,
        )
        for account_id in accounts
    ]
    for notification in notifications:
        notification.group_key = group_keys.get(
            notification.account_id, f"ungrouped-{notification.pk}"
        )
    notifications = Notification.objects.bulk_create(notifications)
    delivered = [notification for notification in notifications if not notification.filtered]
    if status is not None and type in REQUEST_TYPES:
        notification_requests_record(
            recipient_ids=[n.account_id for n in notifications if n.filtered],
            actor=actor,
            status=status,
        )
    streaming.notifications_broadcast_on_commit(notifications=delivered)
    push.notifications_push_on_commit(notifications=delivered)
    return notifications


def _group_prefix(*, type: str, status: Status | None) -> str | None:
    """What a groupable notification is grouped by, or None when its type is not groupable."""
    if type not in Notification.GROUPABLE_TYPES:
        return None
    if type == Notification.Type.FOLLOW:
        return str(type)
    if status is None:
        return None
    return f"{type}-{status.pk}"


def notification_group_keys(
    *, account_ids: list[int], type: str, status: Status | None = None, now: datetime | None = None
) -> dict[int, str]:
    """The ``group_key`` a new notification of ``type`` about ``status`` gets, by recipient.

    As Mastodon's ``Notification#set_group_key!``: the key is ``<prefix>-<hour>``
    (hours since the epoch, UTC), where ``<hour>`` is the recipient's latest group
    of that prefix while the current hour is less than
    ``MAXIMUM_GROUP_SPAN_HOURS`` past it, else the current hour. Mastodon keeps the
    latest hour in Redis for that long; here it is read back from the
    notifications of the last ``MAXIMUM_GROUP_SPAN_HOURS`` hours, in one query
    whatever the number of recipients. Recipients of a type that is not grouped
    are left out (their key is ``ungrouped-<id>``).
    """
    prefix = _group_prefix(type=type, status=status)
    if prefix is None or not account_ids:
        return {}
    now = now or timezone.now()
    span = Notification.MAXIMUM_GROUP_SPAN_HOURS
    hour = int(now.timestamp()) // 3600
    # Hours since the epoch have six digits until 2084, so the greatest key is the latest.
    latest = dict(
        Notification.objects.filter(
            account_id__in=account_ids,
            group_key__startswith=f"{prefix}-",
            created_at__gte=now - timedelta(hours=span),
        )
        .values("account_id")
        .annotate(latest=Max("group_key"))
        .values_list("account_id", "latest")
    )
    keys = {}
    for account_id in account_ids:
        previous = latest.get(account_id)
        bucket = hour
        if previous is not None:
            previous_hour = int(previous.rsplit("-", 1)[1])
            if hour < previous_hour + span:
                bucket = previous_hour
        keys[account_id] = f"{prefix}-{bucket}"
    return keys


def notification_create(
    *, recipient, actor, type: str, status: Status | None = None
) -> Notification | None:
    """Notify ``recipient`` unless it is themselves, blocks or is blocked by ``actor``,
    or mutes ``actor``'s notifications (:func:`notifications_create`)."""
    created = notifications_create(
        recipient_ids=[recipient.pk], actor=actor, type=type, status=status
    )
    return created[0] if created else None


def notification_dismiss(*, account, notification_id: int) -> None:
    """Delete one of ``account``'s notifications; a filtered one's request is recounted
    (and goes when it held no other). Raises ``NotFound`` for anyone else's."""
    with transaction.atomic():
        notification = (
            Notification.objects.filter(account=account, pk=notification_id)
            .only("pk", "filtered", "from_account_id")
            .first()
        )
        if notification is None:
            raise errors.NotFound(_("Record not found"))
        notification.delete()
        if notification.filtered:
            notification_requests_recount(
                account_ids=[account.pk], from_account_ids=[notification.from_account_id]
            )


def notification_group_dismiss(*, account, group_key: str) -> int:
    """Delete ``account``'s notifications of the group ``group_key`` (Mastodon's v2 dismiss).

    Returns how many went; none is no error, as in Mastodon (dismissing twice is
    harmless). Raises ``NotFound`` for a key that is not a group key at all.
    """
    if not group_key_is_valid(group_key):
        raise errors.NotFound(_("Record not found"))
    with transaction.atomic():
        deleted, _by_model = notifications_in_group(account=account, group_key=group_key).delete()
    return deleted


def notifications_clear(*, account) -> None:
    """Delete ``account``'s notifications, but not those its policy held back: they wait in
    their requests, to be accepted or dismissed there."""
    Notification.objects.filter(account=account, filtered=False).delete()


def warning_notify(*, event: events.AccountWarned) -> Notification:
    """Notify the warned account (Mastodon sends it from the account itself)."""
    return system_notification_create(
        account_id=event.account_id,
        type=Notification.Type.MODERATION_WARNING,
        payload={
            "id": str(event.warning_id),
            "action": event.action,
            "text": event.text,
            "status_ids": [str(status_id) for status_id in event.status_ids],
            "created_at": event.created_at,
        },
    )


def system_notification_create(*, account_id: int, type: str, payload: dict) -> Notification:
    """Tell an account something the platform did about it (from the account itself, as
    Mastodon sends ``moderation_warning``), streamed and pushed like any notification."""
    notification = Notification(
        account_id=account_id, from_account_id=account_id, type=type, payload=payload
    )
    notification.group_key = f"ungrouped-{notification.pk}"
    notification.save(force_insert=True)
    streaming.notification_broadcast_on_commit(notification=notification)
    push.notifications_push_on_commit(notifications=[notification])
    return notification


def own_notification_create(*, account, type: str, status: Status | None = None) -> Notification:
    """Notify ``account`` of its own status (the end of its poll: Mastodon sends it from itself)."""
    notification = Notification.objects.create(
        account=account, from_account=account, type=type, status=status
    )
    streaming.notification_broadcast_on_commit(notification=notification)
    return notification
