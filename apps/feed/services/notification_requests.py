"""Writes of notification requests (Mastodon 4.3): accepting and dismissing them, one or many.

Accepting a request lets its sender's notifications through from then on (a
:class:`NotificationPermission`), moves the notifications the policy held back
into the recipient's list (their direct mentions into its conversations), and
removes the request. Dismissing one removes it with the notifications it held.
Both are done at once, in one transaction, so ``GET
/api/v1/notifications/requests/merged`` always answers merged (Mastodon's
background merge is why it asks); a ``notifications_merged`` event tells the
recipient's streams.

Kept apart from :mod:`.notification_policies`: accepting reaches the conversations
(:mod:`.conversations`), which ask the policies themselves.
"""

from __future__ import annotations

from django.db import transaction

from apps.accounts.models import Visibility
from apps.feed import streaming
from apps.feed.models import (
    Notification,
    NotificationPermission,
    NotificationRequest,
    Status,
)
from apps.feed.services.conversations import conversation_statuses_delivered


def _own_requests(*, account, request_ids: list[int]) -> list[NotificationRequest]:
    """``account``'s requests among ``request_ids``, locked (others' and unknown ids are
    left out, as Mastodon's bulk actions do)."""
    return list(
        NotificationRequest.objects.select_for_update()
        .filter(account=account, pk__in=request_ids)
        .order_by("pk")
    )


def notification_requests_accept(*, account, request_ids: list[int]) -> int:
    """Accept ``account``'s requests among ``request_ids``; returns how many.

    A fixed number of queries however many requests, plus a few per held direct
    mention (its conversation).
    """
    with transaction.atomic():
        requests = _own_requests(account=account, request_ids=request_ids)
        if not requests:
            return 0
        senders = [request.from_account_id for request in requests]
        NotificationPermission.objects.bulk_create(
            [NotificationPermission(account=account, from_account_id=sender) for sender in senders],
            ignore_conflicts=True,
        )
        held = Notification.objects.filter(
            account=account, from_account_id__in=senders, filtered=True
        )
        direct = list(
            Status.objects.filter(
                pk__in=held.filter(type=Notification.Type.MENTION).values("status_id"),
                visibility=Visibility.DIRECT,
            ).order_by("pk")
        )
        held.update(filtered=False)
        conversation_statuses_delivered(account_id=account.pk, statuses=direct)
        NotificationRequest.objects.filter(pk__in=[request.pk for request in requests]).delete()
        streaming.notifications_merged_broadcast_on_commit(account_id=account.pk)
    return len(requests)


def notification_requests_dismiss(*, account, request_ids: list[int]) -> int:
    """Dismiss ``account``'s requests among ``request_ids`` with the notifications they held;
    returns how many. The senders are not blocked: their next filtered mention opens a
    new request, as in Mastodon."""
    with transaction.atomic():
        requests = _own_requests(account=account, request_ids=request_ids)
        if not requests:
            return 0
        senders = [request.from_account_id for request in requests]
        Notification.objects.filter(
            account=account, from_account_id__in=senders, filtered=True
        ).delete()
        NotificationRequest.objects.filter(pk__in=[request.pk for request in requests]).delete()
    return len(requests)
