"""Reads of notifications: a viewer's page of them, and one of theirs."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext as _

from apps.accounts.models import able_to_act_q
from apps.feed.models import Block, Mention, Notification, Status
from core import errors
from core.ids import parse_id
from core.pagination import PageParams, paginate_queryset


def notifications_page(
    *,
    viewer,
    params: PageParams,
    types: list[str] | None = None,
    exclude_types: list[str] | None = None,
    account_id: int | None = None,
) -> list[Notification]:
    queryset = Notification.objects.filter(account=viewer).filter(able_to_act_q("from_account__"))
    queryset = queryset.filter(
        Q(status__isnull=True) | Q(status__in=Status.objects.visible_to(viewer))
    )
    blocked = Block.objects.filter(account=viewer, target=OuterRef("from_account"))
    queryset = queryset.exclude(Exists(blocked))
    if types:
        queryset = queryset.filter(type__in=types)
    if exclude_types:
        queryset = queryset.exclude(type__in=exclude_types)
    if account_id is not None:
        queryset = queryset.filter(from_account_id=account_id)
    queryset = queryset.select_related(
        "from_account",
        "status",
        "status__account",
        "status__reblog_of",
        "status__reblog_of__account",
        "status__poll",
        "status__reblog_of__poll",
    ).prefetch_related(
        Prefetch("status__mentions", queryset=Mention.objects.select_related("account")),
        "status__tags",
    )
    return paginate_queryset(queryset, params)


def notification_get(*, viewer, notification_id) -> Notification:
    notification_id = parse_id(
        notification_id
    )  # ids from a path are ints already; a body's may be text
    if notification_id is None:
        raise errors.NotFound(_("Record not found"))
    notification = (
        Notification.objects.filter(account=viewer, pk=notification_id)
        .select_related("from_account", "status")
        .first()
    )
    if notification is None:
        raise errors.NotFound(_("Record not found"))
    return notification
