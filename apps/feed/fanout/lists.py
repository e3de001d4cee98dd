"""List feeds in the feed store: ``feed:list:<list id>``, kept as home feeds are.

Each list's feed is a sorted set of status ids (with the same ``:reblogs`` tracking and
``:truncated`` mark as a home feed, written by the same scripts). The fan-out task pushes a
status into the feeds of the lists it enters (:func:`apps.feed.selectors.lists.lists_receiving`,
Mastodon's ``push_to_list``), only into feeds that exist: a missing feed is cold and the next
read rebuilds it from the database's list query. Adding a member merges its recent statuses
into the list's feed, removing one takes them out, as a follow and an unfollow do for home.

Reads re-check the ids the store returns against the database's list query itself
(:func:`apps.feed.selectors.lists.list_queryset`, one query by primary key for a page): a list
page is read far less often than home, so the exact rule is cheaper than keeping a second copy
of it, and the store and the database answer the same statuses by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from apps.feed.fanout.paging import ids_in_range, range_query, store_answers
from apps.feed.fanout.scripts import scripts
from apps.feed.fanout.store import BATCH_SIZE, Entry, client, max_entries, ttl_seconds
from apps.feed.fanout.writes import REBLOG_FALLOFF, _pairs, merge_into
from apps.feed.models import List, ListAccount, ModerationState, Status
from apps.feed.selectors.lists import list_candidates, list_queryset, lists_receiving
from apps.feed.selectors.statuses import with_relations
from core.pagination import PageParams


def list_feed_key(list_id: int) -> str:
    return f"feed:list:{list_id}"


def list_feed_keys(list_id: int) -> tuple[str, str, str]:
    """The list's feed, its reblog tracking and its truncation mark, as the scripts take them."""
    key = list_feed_key(list_id)
    return key, f"{key}:reblogs", f"{key}:truncated"


def list_feed_ids(list_id: int) -> list[int]:
    """Every id in a list's feed, newest first (tests look inside)."""
    members = cast("list[bytes]", client().zrevrange(list_feed_key(list_id), 0, -1))
    return [int(m) for m in members]


def push_to_lists(*, status_id: int) -> int:
    """Add a published status to the existing feeds of the lists it enters; entries added."""
    row = (
        Status.objects.filter(pk=status_id)
        .exclude(moderation_state=ModerationState.REMOVED)
        .values("account_id", "visibility", "reblog_of_id", "in_reply_to_account_id")
        .first()
    )
    if row is None:
        return 0
    list_ids = lists_receiving(
        author_id=row["account_id"],
        visibility=row["visibility"],
        is_reblog=row["reblog_of_id"] is not None,
        in_reply_to_account_id=row["in_reply_to_account_id"],
    )
    if not list_ids:
        return 0
    add, _remove = scripts()
    entry = Entry(status_id=status_id, reblog_of_id=row["reblog_of_id"])
    # "merge": only into feeds that exist; a cold list is rebuilt when it is next read.
    args: list[int | float | str] = [
        max_entries(),
        REBLOG_FALLOFF,
        ttl_seconds(),
        "merge",
        0,
        *_pairs([entry]),
    ]
    pipe = client().pipeline(transaction=False)
    for start in range(0, len(list_ids), BATCH_SIZE):
        keys = [k for i in list_ids[start : start + BATCH_SIZE] for k in list_feed_keys(i)]
        add(keys=keys, args=args, client=pipe)
    return sum(pipe.execute())


def unpush_from_lists(*, status_id: int, author_id: int, reblog_of_id: int | None = None) -> int:
    """Take a status out of the feeds of every list its author is on; entries removed."""
    list_ids = list(
        ListAccount.objects.filter(account_id=author_id).values_list("list_id", flat=True)
    )
    return _remove(entries=[Entry(status_id, reblog_of_id)], list_ids=list_ids)


def _remove(*, entries: Sequence[Entry], list_ids: Sequence[int]) -> int:
    if not entries or not list_ids:
        return 0
    _add, remove_script = scripts()
    args = _pairs(entries)
    pipe = client().pipeline(transaction=False)
    for list_id in list_ids:
        key, reblogs, _truncated = list_feed_keys(list_id)
        remove_script(keys=(key, reblogs), args=args, client=pipe)
    return sum(pipe.execute())


def merge_member(*, list_id: int, account_id: int) -> int:
    """After an account joins a list: its recent statuses the list shows join the list's feed
    (when the feed exists)."""
    list_ = List.objects.select_related("account").filter(pk=list_id).first()
    if list_ is None:
        return 0
    rows = list(
        list_candidates(list_)
        .filter(account_id=account_id)
        .order_by("-id")
        .values_list("id", "reblog_of_id")[: max_entries() + 1]
    )
    has_more = len(rows) > max_entries()
    entries = [Entry(i, r) for i, r in reversed(rows[: max_entries()])]
    return merge_into(
        keys=list_feed_keys(list_id), entries=entries, has_more=has_more, rebuild=False
    )


def unmerge_member(*, list_id: int, account_id: int) -> int:
    """After an account leaves a list: its statuses leave the list's feed."""
    oldest = cast("list[bytes]", client().zrange(list_feed_key(list_id), 0, 0))
    if not oldest:
        return 0
    rows = Status.objects.filter(account_id=account_id, pk__gte=int(oldest[0])).values_list(
        "id", "reblog_of_id"
    )
    return _remove(entries=[Entry(i, r) for i, r in rows], list_ids=[list_id])


def rebuild_list(*, list_: List) -> int:
    """Rebuild a cold list feed from the database's list query (one query); entries stored."""
    rows = list(
        list_candidates(list_)
        .order_by("-id")
        .values_list("id", "reblog_of_id")[: max_entries() + 1]
    )
    has_more = len(rows) > max_entries()
    entries = [Entry(i, r) for i, r in reversed(rows[: max_entries()])]
    return merge_into(
        keys=list_feed_keys(list_.pk), entries=entries, has_more=has_more, rebuild=True
    )


def _read(*, list_id: int, query) -> tuple[bool, int | None, list[int], bool]:
    """One pipelined round trip: whether the feed exists, its truncation floor and the range."""
    key, reblogs, truncated = list_feed_keys(list_id)
    pipe = client().pipeline(transaction=False)
    pipe.exists(key)
    pipe.exists(truncated)
    pipe.zrange(key, 0, 0)
    if query.ascending:
        pipe.zrangebyscore(key, query.low_bound, query.high_bound, start=0, num=query.count)
    else:
        pipe.zrevrangebyscore(key, query.high_bound, query.low_bound, start=0, num=query.count)
    for name in (key, reblogs, truncated):
        pipe.expire(name, ttl_seconds())
    exists, is_truncated, oldest, members = pipe.execute()[:4]
    floor = int(oldest[0]) if is_truncated and oldest else None
    return bool(exists), floor, ids_in_range(members, query), len(members) < query.count


def list_timeline_page(*, list_: List, params: PageParams) -> list[Status] | None:
    """A list timeline page from the store, rebuilding a cold feed first; None when the store
    cannot vouch for the page (the caller then reads the database)."""
    query = range_query(params)
    exists, floor, ids, read_everything = _read(list_id=list_.pk, query=query)
    if not exists:
        rebuild_list(list_=list_)
        exists, floor, ids, read_everything = _read(list_id=list_.pk, query=query)
    shown = list(with_relations(list_queryset(list_)).filter(pk__in=ids)) if ids else []
    shown.sort(key=lambda status: status.pk, reverse=not query.ascending)
    page = sorted(shown[: params.limit], key=lambda status: status.pk, reverse=True)
    if store_answers(
        query=query,
        floor=floor,
        page_size=len(page),
        limit=params.limit,
        read_everything=read_everything,
    ):
        return page
    return None
