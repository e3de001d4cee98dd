"""Reads of notification policies and requests (Mastodon 4.3)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from apps.accounts.models import able_to_act_q
from apps.feed.models import NotificationPolicy, NotificationRequest
from core import errors
from core.ids import parse_id
from core.pagination import PageParams, paginate_queryset


@dataclass(frozen=True)
class PolicySummary:
    """What awaits review: requests, and the notifications they hold."""

    pending_requests_count: int
    pending_notifications_count: int


def notification_policy_for(*, account) -> NotificationPolicy:
    """``account``'s policy: its row, or an unsaved one with the defaults."""
    policy = NotificationPolicy.objects.filter(account=account).first()
    return policy or NotificationPolicy(account=account)


def _requests_of(viewer) -> QuerySet[NotificationRequest]:
    """The viewer's requests, but not from suspended or disabled accounts (Mastodon's
    ``without_suspended``)."""
    return NotificationRequest.objects.filter(account=viewer).filter(
        able_to_act_q("from_account__")
    )


def notification_policy_summary(*, account) -> PolicySummary:
    """How many requests await ``account``, holding how many notifications (one query)."""
    totals = _requests_of(account).aggregate(
        requests=Count("pk"), notifications=Sum("notifications_count")
    )
    return PolicySummary(
        pending_requests_count=totals["requests"] or 0,
        pending_notifications_count=totals["notifications"] or 0,
    )


def notification_requests_page(*, viewer, params: PageParams) -> list[NotificationRequest]:
    """A page of the viewer's requests, newest first, their sender and last status loaded."""
    queryset = _requests_of(viewer).select_related("from_account", "last_status")
    return paginate_queryset(queryset, params)


def notification_request_get(*, viewer, request_id) -> NotificationRequest:
    """One of the viewer's requests. Raises ``NotFound`` for anyone else's, or an unknown id."""
    parsed = parse_id(request_id)
    request = (
        _requests_of(viewer).filter(pk=parsed).select_related("from_account", "last_status").first()
        if parsed is not None
        else None
    )
    if request is None:
        raise errors.NotFound(_("Record not found"))
    return request
