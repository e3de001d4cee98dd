"""Pure paging logic of the feed store: no Redis, no database.

How Mastodon's ``max_id``/``since_id``/``min_id`` page becomes one sorted-set range
read, how the members read are cut exactly at the cursors, and whether a page cut
from the store is the page the database would give. Kept pure so the unit suite
tests it without a store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.pagination import PageParams

# Ids beyond 2**53 share a score with their neighbours (scores are doubles): ranges
# are read with inclusive bounds and a little slack, then cut exactly by id.
TIE_SLACK = 8


@dataclass(frozen=True)
class RangeQuery:
    """One sorted-set range read for a page: inclusive score bounds, direction and count."""

    ascending: bool
    lowest: int | None
    highest: int | None
    count: int

    @property
    def low_bound(self) -> str:
        return "-inf" if self.lowest is None else str(self.lowest)

    @property
    def high_bound(self) -> str:
        return "+inf" if self.highest is None else str(self.highest)


def range_query(params: PageParams) -> RangeQuery:
    """The range read that answers ``params``: ids strictly between the cursors.

    ``min_id`` reads upwards from the cursor (the page just above it); otherwise the
    read goes down from ``max_id`` (or the top). Twice the page plus slack is read so
    that entries the read-time filters drop rarely leave a page short.
    """
    lower_cursors = [c for c in (params.since_id, params.min_id) if c is not None]
    lowest = max(lower_cursors) if lower_cursors else None
    return RangeQuery(
        ascending=params.min_id is not None,
        lowest=lowest,
        highest=params.max_id,
        count=params.limit * 2 + TIE_SLACK,
    )


def ids_in_range(members: Iterable[bytes | str | int], query: RangeQuery) -> list[int]:
    """The members of a range read strictly inside the cursors, in the read's order."""
    ids = [int(m) for m in members]
    ids = [
        i
        for i in ids
        if (query.lowest is None or i > query.lowest)
        and (query.highest is None or i < query.highest)
    ]
    ids.sort(reverse=not query.ascending)
    return ids


def store_answers(
    *, query: RangeQuery, floor: int | None, page_size: int, limit: int, read_everything: bool
) -> bool:
    """Whether a page cut from the store is the page the database would give.

    The store vouches for every id above ``floor`` (its oldest entry when it is
    truncated; None when it holds everything). A full page read downwards is right;
    a page read upwards from ``min_id`` is right only when the cursor is within what
    the store vouches for. A short page is right only when the read saw every stored
    id in range and the range does not reach below the floor.
    """
    within = floor is None or (query.lowest is not None and query.lowest >= floor)
    if page_size < limit:
        return read_everything and within
    return within or not query.ascending
