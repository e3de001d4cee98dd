"""Writes of notifications: who is told of what, dismissing, and moderation's warnings.

Moderation publishes ``core.events.AccountWarned``; the warned account gets
Mastodon's ``moderation_warning`` notification carrying the AccountWarning entity
(:func:`warning_notify`, called by :mod:`apps.feed.handlers`).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed import streaming
from apps.feed.models import Block, Mute, Notification, Status
from core import errors, events

User = get_user_model()


def _notifiable(*, recipient_ids, actor) -> QuerySet:
    """The accounts among ``recipient_ids`` that ``actor`` may notify, in pk order.

    Not ``actor`` itself, nor anyone who blocks or is blocked by ``actor``, nor anyone
    muting ``actor``'s notifications (a mute whose time ran out no longer counts).
    ``recipient_ids`` may be a list or a ``values()`` queryset (then a subquery).
    """
    blocks = Block.objects.filter(
        Q(account=OuterRef("pk"), target=actor) | Q(account=actor, target=OuterRef("pk"))
    )
    mutes = Mute.objects.filter(
        account=OuterRef("pk"), target=actor, hide_notifications=True
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    return (
        User.objects.filter(pk__in=recipient_ids)
        .exclude(pk=actor.pk)
        .exclude(Exists(blocks))
        .exclude(Exists(mutes))
        .order_by("pk")
    )


def notifications_create(
    *, recipient_ids, actor, type: str, status: Status | None = None
) -> list[Notification]:
    """Notify each of ``recipient_ids`` that :func:`_notifiable` lets ``actor`` reach.

    Two queries whatever the number of recipients: one choosing them, one inserting
    the notifications; each is streamed to its recipient after commit.
    """
    if isinstance(recipient_ids, list) and not recipient_ids:
        return []
    accounts = _notifiable(recipient_ids=recipient_ids, actor=actor).values_list("pk", flat=True)
    notifications = Notification.objects.bulk_create(
        [
            Notification(account_id=account_id, from_account=actor, type=type, status=status)
            for account_id in accounts
        ]
    )
    streaming.notifications_broadcast_on_commit(notifications=notifications)
    return notifications


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
    deleted, _by_model = Notification.objects.filter(account=account, pk=notification_id).delete()
    if not deleted:
        raise errors.NotFound(_("Record not found"))


def notifications_clear(*, account) -> None:
    Notification.objects.filter(account=account).delete()


def warning_notify(*, event: events.AccountWarned) -> Notification:
    """Notify the warned account (Mastodon sends it from the account itself)."""
    notification = Notification.objects.create(
        account_id=event.account_id,
        from_account_id=event.account_id,
        type=Notification.Type.MODERATION_WARNING,
        payload={
            "id": str(event.warning_id),
            "action": event.action,
            "text": event.text,
            "status_ids": [str(status_id) for status_id in event.status_ids],
            "created_at": event.created_at,
        },
    )
    streaming.notification_broadcast_on_commit(notification=notification)
    return notification


def own_notification_create(*, account, type: str, status: Status | None = None) -> Notification:
    """Notify ``account`` of its own status (the end of its poll: Mastodon sends it from itself)."""
    notification = Notification.objects.create(
        account=account, from_account=account, type=type, status=status
    )
    streaming.notification_broadcast_on_commit(notification=notification)
    return notification
