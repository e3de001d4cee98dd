"""Reads of Web Push subscriptions: an app's own, and who is pushed which notification.

Used as a module (``selectors.push.push_subscription_for_token(...)``), as Mastodon's
``Web::PushSubscription`` is read: by the access token the app subscribed with, and
by the notifications the worker delivers.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.utils.translation import gettext as _

from apps.feed.models import Follow, Notification, PushSubscription
from core import errors

# The alerts an app may ask for (Mastodon 4.5's pushable notification types).
ALERT_TYPES = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
    "quote",
    "quoted_update",
)


def push_subscription_for_token(*, access_token) -> PushSubscription:
    """The subscription made with ``access_token``.

    Raises NotFound (Mastodon's 404 "Record not found") when the token has none.
    """
    subscription = PushSubscription.objects.filter(access_token=access_token).first()
    if subscription is None:
        raise errors.NotFound(_("Record not found"))
    return subscription


def is_alert_enabled(subscription: PushSubscription, notification_type: str) -> bool:
    return subscription.alerts.get(notification_type) is True


def push_deliveries(*, notification_ids: Iterable[int]) -> list[tuple[int, int]]:
    """The (subscription id, notification id) pairs to push for ``notification_ids``.

    A notification goes to each subscription of its recipient whose alerts include its
    type and whose policy lets its sender through: ``all``; ``followed``, senders the
    recipient follows; ``follower``, senders following the recipient; ``none``, no one.
    Three queries whatever the numbers: the notifications, their recipients'
    subscriptions, and the follows between the senders and the recipients.
    """
    notifications = list(
        Notification.objects.filter(pk__in=list(notification_ids)).values_list(
            "pk", "account_id", "from_account_id", "type"
        )
    )
    if not notifications:
        return []
    by_account: dict[int, list[PushSubscription]] = {}
    for subscription in PushSubscription.objects.filter(
        account_id__in={account_id for _pk, account_id, _sender, _type in notifications}
    ).exclude(policy=PushSubscription.Policy.NONE):
        by_account.setdefault(subscription.account_id, []).append(subscription)
    if not by_account:
        return []
    follows: set[tuple[int, int]] = set()
    pairs = {(account_id, sender) for _pk, account_id, sender, _type in notifications}
    needs_follows = any(
        subscription.policy != PushSubscription.Policy.ALL
        for subscriptions in by_account.values()
        for subscription in subscriptions
    )
    if needs_follows:
        recipients = {account_id for account_id, _sender in pairs}
        senders = {sender for _account_id, sender in pairs}
        follows = set(
            Follow.objects.filter(
                Q(account_id__in=recipients, target_id__in=senders)
                | Q(account_id__in=senders, target_id__in=recipients)
            ).values_list("account_id", "target_id")
        )
    deliveries = []
    for pk, account_id, sender, notification_type in notifications:
        for subscription in by_account.get(account_id, []):
            if not is_alert_enabled(subscription, notification_type):
                continue
            if subscription.policy == PushSubscription.Policy.FOLLOWED and (
                (account_id, sender) not in follows
            ):
                continue
            if subscription.policy == PushSubscription.Policy.FOLLOWER and (
                (sender, account_id) not in follows
            ):
                continue
            deliveries.append((subscription.pk, pk))
    return deliveries


def push_delivery_get(*, subscription_id: int, notification_id: int):
    """The subscription (with its token and account) and the notification (with its
    sender and status) of one delivery; ``(None, None)`` when either is gone."""
    subscription = (
        PushSubscription.objects.select_related("access_token", "account")
        .filter(pk=subscription_id)
        .first()
    )
    notification = (
        Notification.objects.select_related("from_account", "status")
        .filter(pk=notification_id)
        .first()
    )
    if subscription is None or notification is None:
        return None, None
    return subscription, notification
