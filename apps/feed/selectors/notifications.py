"""Reads of notifications: a viewer's page of them, one of theirs, and their groups.

Every read starts from :func:`notifications_browsable`, so the v1 list, the
grouped (v2) list, a group, its accounts and the unread counts apply the same
rules: notifications from accounts able to act, about statuses the viewer may
see (``visible_to``), from no one the viewer blocks.

Groups are Mastodon 4.3's: the notifications sharing a ``group_key`` (see
:mod:`apps.feed.services.notifications`), a type the client does not ask to
group (``grouped_types``) counting as ``ungrouped-<id>``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Concat, RowNumber
from django.utils.translation import gettext as _

from apps.accounts.models import able_to_act_q
from apps.feed.models import Block, Notification, Status
from apps.feed.models.compiled import CompiledCondition, Holds
from apps.feed.models.statuses import VISIBILITY, viewer_holds
from apps.feed.selectors.markers import markers_for
from apps.feed.selectors.statuses import statuses_in_order
from apps.media.selectors import statuses_with_media
from core import errors
from core.ids import MAX_ID, parse_id
from core.pagination import PageParams, paginate_in_two, paginate_queryset
from core.rows import RowShape

# Mastodon's NotificationGroup::SAMPLE_ACCOUNTS_SIZE.
SAMPLE_ACCOUNTS_SIZE = 8
# The shape of a group key, as the services write them and Mastodon answers them.
GROUP_KEY_PATTERN = (
    r"(?:ungrouped-[0-9]{1,19}|(?:favourite|reblog)-[0-9]{1,19}-[0-9]{1,12}|follow-[0-9]{1,12})"
)
_GROUP_KEY = re.compile(GROUP_KEY_PATTERN)
_UNGROUPED = "ungrouped-"


def group_key_is_valid(group_key: str) -> bool:
    """Whether ``group_key`` has the shape of a group key (not whether the group exists)."""
    if not _GROUP_KEY.fullmatch(group_key):
        return False
    return not group_key.startswith(_UNGROUPED) or int(group_key[len(_UNGROUPED) :]) <= MAX_ID


def _browsable_rules(
    viewer_id: int | None, member_of: Sequence[int], now: datetime
) -> QuerySet[Notification]:
    """The notifications of the account ``viewer_id`` that a client may list, as the ORM
    builds them (compiled once per shape: :data:`BROWSABLE`): from an account able to act
    at ``now``, about no status or one the viewer may see (``member_of``: the creators
    they pay), from no one the viewer blocks."""
    # The rules as EXISTS over the notification's status_id, not "status_id IN (visible
    # statuses)": under the OR, PostgreSQL runs IN as a hashed subplan over every status
    # the viewer may see (a scan of the whole table per request: seconds at 100k
    # statuses), where EXISTS looks each notification's status up by its key.
    visible = Holds(VISIBILITY, F("status_id"), viewer_id=viewer_id, creators=member_of, now=now)
    blocked = Block.objects.filter(account=viewer_id, target=OuterRef("from_account"))
    return (
        Notification.objects.filter(account=viewer_id)
        .filter(able_to_act_q("from_account__", now=now))
        .filter(Q(status__isnull=True) | Q(visible))
        .exclude(Exists(blocked))
    )


# The rules as one condition on a notification's key, with aliases apart from the status
# rules' (VISIBILITY) it holds.
BROWSABLE = CompiledCondition(_browsable_rules, path=f"{__name__}.BROWSABLE", alias_prefix="AGN")


def notifications_browsable(
    *,
    viewer,
    types: list[str] | None = None,
    exclude_types: list[str] | None = None,
    account_id: int | None = None,
    include_filtered: bool = False,
) -> QuerySet[Notification]:
    """The viewer's notifications a client may list (Mastodon's ``browserable``).

    ``types=None`` is every type; an empty list is none. Notifications held back by
    the viewer's notification policy are left out unless ``include_filtered``, or
    unless the list is of one sender's (``account_id``: how a client shows a
    notification request's), as in Mastodon.
    """
    # The rules' SQL is compiled once (BROWSABLE), with the viewer's values bound: built
    # and compiled by the ORM on every request, they cost a notifications page about two
    # milliseconds of CPU.
    queryset = Notification.objects.filter(viewer_holds(BROWSABLE, F("pk"), viewer), account=viewer)
    if not include_filtered and account_id is None:
        queryset = queryset.filter(filtered=False)
    if types is not None:
        queryset = queryset.filter(type__in=types)
    if exclude_types:
        queryset = queryset.exclude(type__in=exclude_types)
    if account_id is not None:
        queryset = queryset.filter(from_account_id=account_id)
    return queryset


def _page_rows() -> QuerySet[Notification]:
    """A page's notifications with what their statuses' entities and cache keys read, as
    ``selectors.statuses.with_key_relations`` reads a page of statuses: the status with its
    account, poll and quote, the same of a reblog's original, and whether either has media
    (so a page without media never asks for it, nor for quotes: one query less a page)."""
    media = statuses_with_media()
    return Notification.objects.select_related(
        "from_account",
        "status",
        "status__account",
        "status__reblog_of",
        "status__reblog_of__account",
        "status__poll",
        "status__reblog_of__poll",
        "status__quote",
        "status__reblog_of__quote",
    ).annotate(
        status_media_present=Exists(media.filter(status_id=OuterRef("status_id"))),
        original_media_present=Exists(media.filter(status_id=OuterRef("status__reblog_of_id"))),
    )


# A page's notifications by id with what their entities show (compiled once: core.rows).
PAGE_ROWS = RowShape("feed.page_notifications", _page_rows)


def notifications_page(
    *,
    viewer,
    params: PageParams,
    types: list[str] | None = None,
    exclude_types: list[str] | None = None,
    account_id: int | None = None,
    include_filtered: bool = False,
) -> list[Notification]:
    queryset = notifications_browsable(
        viewer=viewer,
        types=types,
        exclude_types=exclude_types,
        account_id=account_id,
        include_filtered=include_filtered,
    )
    # The page's ids by the rules, then its rows by id with what their entities show, as a
    # page of statuses is read (selectors.statuses.statuses_page). The statuses' mentions
    # and tags are fetched by their rendering, for those not cached (apps.feed.entities).
    # The ids' query is prepared: its generic plan, the rules' constants written in, is the
    # plan for the busiest viewer as for one with a few, and costs a tenth of planning each
    # page (bench/plans.py).
    page = paginate_in_two(queryset, params, PAGE_ROWS, prepared=True)
    for notification in page:
        if notification.status is not None:  # read by selectors.statuses.prefetch_media
            notification.status.media_present = notification.status_media_present
            notification.status.original_media_present = notification.original_media_present
    return page


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


# Groups ----------------------------------------------------------------------


def grouped_types_of(requested: list[str] | None) -> list[str]:
    """The types grouped for a client asking ``grouped_types[]`` (all groupable ones if none)."""
    if not requested:
        return list(Notification.GROUPABLE_TYPES)
    return [t for t in Notification.GROUPABLE_TYPES if t in requested]


def _effective_group_key(grouped_types: list[str]):
    """The group key of a row for a client grouping ``grouped_types``, as an expression."""
    ungrouped = Concat(Value(_UNGROUPED), Cast("id", output_field=CharField()))
    if not grouped_types:
        return ungrouped
    return Case(
        When(Q(type__in=grouped_types) & ~Q(group_key=""), then=F("group_key")),
        default=ungrouped,
        output_field=CharField(),
    )


def notifications_in_group(*, account, group_key: str) -> QuerySet[Notification]:
    """``account``'s notifications of the group ``group_key`` (Mastodon's ``by_group_key``)."""
    queryset = Notification.objects.filter(account=account)
    if group_key.startswith(_UNGROUPED):
        return queryset.filter(pk=int(group_key[len(_UNGROUPED) :]))
    return queryset.filter(group_key=group_key)


@dataclass
class NotificationGroup:
    """One group of a page: the notification that stands for it and what it sums up.

    ``page_min_id`` and ``latest_page_notification_at`` are set when the group is
    part of a page (Mastodon leaves them out of a single group).
    """

    group_key: str
    notification: Notification
    notifications_count: int
    most_recent_notification_id: int
    sample_accounts: list = field(default_factory=list)
    page_min_id: int | None = None
    latest_page_notification_at: datetime | None = None

    @property
    def is_paginated(self) -> bool:
        return self.page_min_id is not None


@dataclass
class NotificationGroupsPage:
    """A page of groups, each notification standing for its group, newest first.

    ``notifications`` are the page's cursors (Link header); ``statuses`` the
    groups' statuses, once each, relations loaded, in page order.
    """

    groups: list[NotificationGroup]
    notifications: list[Notification]
    statuses: list[Status]


def _group_heads(queryset: QuerySet, params: PageParams, grouped_types: list[str]) -> list[int]:
    """The ids of the notifications standing for the page's groups, newest first.

    As Mastodon's ``paginate_groups``: walking from the cursor, the first
    notification met of each group, until ``limit`` groups (one query).
    """
    queryset = queryset.annotate(effective_key=_effective_group_key(grouped_types))
    if params.max_id is not None:
        queryset = queryset.filter(id__lt=params.max_id)
    if params.since_id is not None:
        queryset = queryset.filter(id__gt=params.since_id)
    grouped = queryset.values("effective_key")
    if params.min_id is not None:
        rows = grouped.filter(id__gt=params.min_id).annotate(head=Min("id")).order_by("head")
        ids = [row["head"] for row in rows[: params.limit]]
        ids.reverse()
        return ids
    rows = grouped.annotate(head=Max("id")).order_by("-head")
    return [row["head"] for row in rows[: params.limit]]


def _groups_data(
    queryset: QuerySet,
    *,
    group_keys: list[str],
    begin: int | None,
    end: int | None,
) -> tuple[dict[str, dict], dict[str, list]]:
    """Count, newest id and time, oldest id from ``begin``, and sample accounts per group.

    Within the groups' notifications up to ``end`` (Mastodon counts those older
    than the page too); two queries whatever the groups' sizes.
    """
    if not group_keys:
        return {}, {}
    members = queryset.filter(group_key__in=group_keys)
    if end is not None:
        members = members.filter(id__lte=end)
    oldest = Min("id", filter=Q(id__gte=begin)) if begin is not None else Min("id")
    stats = {
        row["group_key"]: row
        for row in members.order_by()
        .values("group_key")
        .annotate(count=Count("id"), newest=Max("id"), latest_at=Max("created_at"), oldest=oldest)
    }
    ranked = (
        members.annotate(
            rank=Window(RowNumber(), partition_by=F("group_key"), order_by=F("id").desc())
        )
        .filter(rank__lte=SAMPLE_ACCOUNTS_SIZE)
        .select_related("from_account")
        .order_by("-id")
    )
    samples: dict[str, list] = {}
    for notification in ranked:
        samples.setdefault(notification.group_key, []).append(notification.from_account)
    return stats, samples


def _load_heads(ids: list[int]) -> list[Notification]:
    by_id = Notification.objects.select_related("from_account", "account").in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def _statuses_of(notifications: list[Notification]) -> list[Status]:
    ids = list(dict.fromkeys(n.status_id for n in notifications if n.status_id is not None))
    statuses = statuses_in_order(ids)
    by_id = {status.pk: status for status in statuses}
    for notification in notifications:
        if notification.status_id in by_id:
            notification.status = by_id[notification.status_id]
    return statuses


def _groups(
    heads: list[Notification],
    queryset: QuerySet,
    *,
    grouped_types: list[str],
    begin: int | None = None,
    end: int | None = None,
    paginated: bool,
) -> list[NotificationGroup]:
    def is_grouped(notification: Notification) -> bool:
        return (
            bool(notification.group_key)
            and notification.type in grouped_types
            and (not notification.group_key.startswith(_UNGROUPED))
        )

    keys = [n.group_key for n in heads if is_grouped(n)]
    stats, samples = _groups_data(queryset, group_keys=keys, begin=begin, end=end)
    groups = []
    for notification in heads:
        row = stats.get(notification.group_key) if is_grouped(notification) else None
        if row is None:
            groups.append(
                NotificationGroup(
                    group_key=f"{_UNGROUPED}{notification.pk}",
                    notification=notification,
                    notifications_count=1,
                    most_recent_notification_id=notification.pk,
                    sample_accounts=[notification.from_account],
                    page_min_id=notification.pk if paginated else None,
                    latest_page_notification_at=notification.created_at if paginated else None,
                )
            )
            continue
        groups.append(
            NotificationGroup(
                group_key=notification.group_key,
                notification=notification,
                notifications_count=row["count"],
                most_recent_notification_id=row["newest"],
                sample_accounts=samples.get(notification.group_key, []),
                page_min_id=(row["oldest"] or notification.pk) if paginated else None,
                latest_page_notification_at=row["latest_at"] if paginated else None,
            )
        )
    return groups


def notification_groups_page(
    *,
    viewer,
    params: PageParams,
    types: list[str] | None = None,
    exclude_types: list[str] | None = None,
    account_id: int | None = None,
    grouped_types: list[str] | None = None,
    include_filtered: bool = False,
) -> NotificationGroupsPage:
    """A page of the viewer's notification groups (Mastodon's ``GET /api/v2/notifications``).

    A fixed number of queries whatever the groups' sizes: the page's group heads,
    those notifications, the groups' counts, their sample accounts, the statuses.
    """
    grouped = grouped_types_of(grouped_types)
    queryset = notifications_browsable(
        viewer=viewer,
        types=types,
        exclude_types=exclude_types,
        account_id=account_id,
        include_filtered=include_filtered,
    )
    heads = _load_heads(_group_heads(queryset, params, grouped))
    if not heads:
        return NotificationGroupsPage(groups=[], notifications=[], statuses=[])
    # The range of ids the page covers, as Mastodon's controller works it out: past
    # the last page (an incomplete one), it reaches to the cursor.
    begin: int | None = heads[-1].pk
    end: int | None = heads[0].pk
    if len(heads) < params.limit:
        if params.min_id is not None:
            end = params.max_id - 1 if params.max_id is not None else None
        else:
            begin = params.since_id + 1 if params.since_id is not None else None
    groups = _groups(heads, queryset, grouped_types=grouped, begin=begin, end=end, paginated=True)
    return NotificationGroupsPage(groups=groups, notifications=heads, statuses=_statuses_of(heads))


def notification_group_get(*, viewer, group_key: str) -> NotificationGroupsPage:
    """The viewer's group ``group_key`` as a page of one group.

    Raises ``NotFound`` for a malformed key, or one of no notification the viewer may list.
    """
    if not group_key_is_valid(group_key):
        raise errors.NotFound(_("Record not found"))
    queryset = notifications_browsable(viewer=viewer, include_filtered=True)
    in_group = notifications_in_group(account=viewer, group_key=group_key)
    head = queryset.filter(pk__in=in_group.values("pk")).order_by("-id").values("pk").first()
    if head is None:
        raise errors.NotFound(_("Record not found"))
    heads = _load_heads([head["pk"]])
    groups = _groups(
        heads, queryset, grouped_types=list(Notification.GROUPABLE_TYPES), paginated=False
    )
    return NotificationGroupsPage(groups=groups, notifications=heads, statuses=_statuses_of(heads))


def notification_group_accounts(
    *, viewer, group_key: str, params: PageParams
) -> list[Notification]:
    """A page of the group's notifications, newest first, with the accounts behind them.

    Mastodon answers the accounts of a group key that matches nothing with an
    empty list; a malformed key raises ``NotFound``.
    """
    if not group_key_is_valid(group_key):
        raise errors.NotFound(_("Record not found"))
    in_group = notifications_in_group(account=viewer, group_key=group_key)
    queryset = notifications_browsable(viewer=viewer, include_filtered=True).filter(
        pk__in=in_group.values("pk")
    )
    return paginate_queryset(queryset.select_related("from_account"), params)


def notifications_unread_count(
    *,
    viewer,
    limit: int,
    grouped: bool,
    types: list[str] | None = None,
    exclude_types: list[str] | None = None,
    account_id: int | None = None,
    grouped_types: list[str] | None = None,
    include_filtered: bool = False,
) -> int:
    """How many notifications (``grouped``: groups) are newer than the ``notifications``
    marker, counting no further than ``limit`` (Mastodon's ``unread_count``)."""
    queryset = notifications_browsable(
        viewer=viewer,
        types=types,
        exclude_types=exclude_types,
        account_id=account_id,
        include_filtered=include_filtered,
    )
    marker = markers_for(viewer=viewer, timelines=["notifications"]).first()
    if marker is not None:
        queryset = queryset.filter(id__gt=marker.last_read_id)
    if grouped:
        keys = queryset.annotate(
            effective_key=_effective_group_key(grouped_types_of(grouped_types))
        )
        return keys.order_by().values("effective_key").distinct()[:limit].count()
    return queryset[:limit].count()
