"""Moderation's account warnings (strikes), as the feed shows them: a notification.

Moderation publishes ``core.events.AccountWarned``; the warned account gets
Mastodon's ``moderation_warning`` notification carrying the AccountWarning entity.
"""

from __future__ import annotations

from apps.feed import streaming
from apps.feed.models import Notification
from core import events


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


def on_account_warned(event: events.AccountWarned) -> None:
    warning_notify(event=event)


def connect() -> None:
    events.subscribe(events.AccountWarned, on_account_warned)
