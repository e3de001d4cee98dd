"""Reading a home timeline page from the feed store.

One pipelined round trip reads a feed's warmth, truncation floor and the page's range
(:func:`read_range`); a cold feed is rebuilt from the database's home query first
(:func:`rebuild`). The ids read are re-checked against the home timeline's rules
(:mod:`apps.feed.fanout.rules`) so nothing that became invisible leaks, and
:func:`home_timeline_page` answers None when the store cannot vouch for the page
(:func:`apps.feed.fanout.paging.store_answers`): the caller then reads the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import cast

from apps.feed import selectors
from apps.feed.fanout.paging import RangeQuery, ids_in_range, range_query, store_answers
from apps.feed.fanout.rules import home_relations, home_row, shown_on_home
from apps.feed.fanout.store import (
    ACTIVE_KEY,
    Entry,
    active_seconds,
    client,
    feed_key,
    feed_keys,
    max_entries,
    ttl_seconds,
)
from apps.feed.fanout.writes import merge
from apps.feed.models import Poll, Quote, Status
from core.pagination import PageParams
from core.rows import RowShape, rows_by_keys


def feed_ids(account_id: int) -> list[int]:
    """Every id in a feed, newest first (tests and the bench look inside)."""
    # Members are ids; without scores redis-py answers a plain list of them.
    members = cast("list[bytes]", client().zrevrange(feed_key(account_id), 0, -1))
    return [int(m) for m in members]


@dataclass(frozen=True)
class FeedRead:
    is_warm: bool
    floor: int | None
    ids: list[int]
    read_everything: bool


def read_range(*, account_id: int, query: RangeQuery, now: float | None = None) -> FeedRead:
    """One pipelined round trip: warmth, truncation floor and the range; records the read."""
    moment = now or time.time()
    key, reblogs, truncated = feed_keys(account_id)
    pipe = client().pipeline(transaction=False)
    pipe.zscore(ACTIVE_KEY, account_id)
    pipe.zadd(ACTIVE_KEY, {str(account_id): moment})
    pipe.exists(key)
    pipe.exists(truncated)
    pipe.zrange(key, 0, 0)
    if query.ascending:
        pipe.zrangebyscore(key, query.low_bound, query.high_bound, start=0, num=query.count)
    else:
        pipe.zrevrangebyscore(key, query.high_bound, query.low_bound, start=0, num=query.count)
    for name in (key, reblogs, truncated):
        pipe.expire(name, ttl_seconds())
    last_read, _added, exists, is_truncated, oldest, members = pipe.execute()[:6]
    is_warm = bool(exists) and last_read is not None and last_read >= moment - active_seconds()
    floor = int(oldest[0]) if is_truncated and oldest else None
    return FeedRead(
        is_warm=is_warm,
        floor=floor,
        ids=ids_in_range(members, query),
        read_everything=len(members) < query.count,
    )


def rebuild(*, viewer) -> int:
    """Rebuild a cold feed from the database's home query (one query); entries stored."""
    rows = list(
        selectors.home_candidates(viewer)
        .order_by("-id")
        .values_list("id", "reblog_of_id")[: max_entries() + 1]
    )
    has_more = len(rows) > max_entries()
    entries = [Entry(i, r) for i, r in reversed(rows[: max_entries()])]
    return merge(account_id=viewer.pk, entries=entries, has_more=has_more, rebuild=True)


# Ids read past the page in a first fetch, for entries the rules may drop; the rest of
# the read is fetched only when the first batch falls short.
FETCH_SLACK = 4


# The statuses of a home page with their authors and reblogged originals (compiled once:
# core.rows).
HOME_ROWS = RowShape(
    "feed.home_statuses",
    lambda: Status.objects.select_related("account", "reblog_of", "reblog_of__account"),
)


def shown_among(*, viewer, ids: list[int]) -> list[Status]:
    """The statuses of ``ids`` the home timeline still shows: the rows with their authors
    and reblogged statuses in one query, one query of the viewer's relations to them, and
    the rules applied in Python.

    Polls and quotes come with the statuses, as the database's pages join them
    (selectors.statuses.with_relations), but are not joined here: four more outer joins
    cost more to plan than the rest of the page's SQL together. The relations query says
    which rows carry one (:func:`apps.feed.fanout.rules.home_relations`); those are
    fetched in one query each (none for a page without polls or quotes), the others are
    marked as having none, so nothing reads them one status at a time.
    """
    statuses = rows_by_keys(HOME_ROWS, ids)
    rows = {status.pk: home_row(status) for status in statuses}
    relations = home_relations(viewer=viewer, rows=list(rows.values()))
    shown = [
        s for s in statuses if shown_on_home(viewer=viewer, status=rows[s.pk], relations=relations)
    ]
    attach_polls_and_quotes(shown, with_poll=relations.with_poll, with_quote=relations.with_quote)
    return shown


def attach_polls_and_quotes(
    statuses: list[Status], *, with_poll: set[int], with_quote: set[int]
) -> None:
    """Load the polls and quotes of ``statuses`` and of the originals they reblog, as
    ``select_related`` would: those in ``with_poll`` / ``with_quote`` in one query each,
    every other one cached as having none."""
    carried = [
        *statuses,
        *(s.reblog_of for s in statuses if s.reblog_of_id is not None and s.reblog_of is not None),
    ]
    for model, present in ((Poll, with_poll), (Quote, with_quote)):
        forward = model._meta.get_field("status")  # the OneToOneField to the status
        reverse = forward.remote_field  # the status's side (status.poll, status.quote)
        wanted = [s.pk for s in carried if s.pk in present]
        found = (
            {row.status_id: row for row in model.objects.filter(status_id__in=wanted)}
            if wanted
            else {}
        )
        for status in carried:
            row = found.get(status.pk)
            reverse.set_cached_value(status, row)
            if row is not None:
                forward.set_cached_value(row, status)


def _fetch(*, viewer, ids: list[int], query: RangeQuery, limit: int) -> list[Status]:
    """The page of ``ids`` (in the read's order) the home timeline shows, newest first.

    Usually one batch (the page and a few more) covers it; entries the rules drop make
    it read the rest of the range. Mentions and tags are left to the rendering, which
    fetches them only for entities missing from its cache."""
    if not ids:
        return []
    cut = limit + FETCH_SLACK
    shown = shown_among(viewer=viewer, ids=ids[:cut])
    if len(shown) < limit and len(ids) > cut:
        shown += shown_among(viewer=viewer, ids=ids[cut:])
    page = sorted(shown, key=lambda status: status.pk, reverse=not query.ascending)[:limit]
    return sorted(page, key=lambda status: status.pk, reverse=True)


def home_timeline_page(*, viewer, params: PageParams) -> list[Status] | None:
    """A home timeline page from the store, rebuilding a cold feed first.

    Returns None when the store cannot vouch for the page (it reaches below a
    truncated feed's oldest entry, or read-time filters emptied a long stretch):
    the caller then reads the database.
    """
    query = range_query(params)
    read = read_range(account_id=viewer.pk, query=query)
    if not read.is_warm:
        rebuild(viewer=viewer)
        read = read_range(account_id=viewer.pk, query=query)
    page = _fetch(viewer=viewer, ids=read.ids, query=query, limit=params.limit)
    if store_answers(
        query=query,
        floor=read.floor,
        page_size=len(page),
        limit=params.limit,
        read_everything=read.read_everything,
    ):
        return page
    return None
