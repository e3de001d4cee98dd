"""Writes to the feed store: pushing statuses into feeds and taking them out.

A published status is pushed into the feeds of its audience
(:mod:`apps.feed.fanout.audience`) that are warm; a follow merges the followee's
recent statuses into the follower's feed, an unfollow or block takes them out.
Each write is one Lua script call per feed (:mod:`apps.feed.fanout.scripts`), many
feeds pipelined into one round trip. Called by the Celery tasks of
:mod:`apps.feed.tasks`, which load by id: every write is safe to run twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from apps.feed.fanout.audience import removal_audience, status_audience
from apps.feed.fanout.scripts import scripts
from apps.feed.fanout.store import (
    BATCH_SIZE,
    Entry,
    active_among,
    client,
    feed_key,
    feed_keys,
    max_entries,
    store_enabled,
    ttl_seconds,
)
from apps.feed.models import Follow, ModerationState, Status, Visibility
from core import queue

REBLOG_FALLOFF = 40


def _pairs(entries: Sequence[Entry]) -> list[int]:
    flat: list[int] = []
    for entry in entries:
        flat.extend((entry.status_id, entry.reblog_of_id or 0))
    return flat


def push(*, entry: Entry, account_ids: Sequence[int]) -> int:
    """Add one status to each feed of ``account_ids``: one script call per batch of
    feeds, every batch in one pipelined round trip. Returns the entries added."""
    if not account_ids:
        return 0
    add, _remove = scripts()
    args: list[int | float | str] = [
        max_entries(),
        REBLOG_FALLOFF,
        ttl_seconds(),
        "push",
        0,
        *_pairs([entry]),
    ]
    pipe = client().pipeline(transaction=False)
    for start in range(0, len(account_ids), BATCH_SIZE):
        keys = [key for a in account_ids[start : start + BATCH_SIZE] for key in feed_keys(a)]
        add(keys=keys, args=args, client=pipe)
    return sum(pipe.execute())


def merge(*, account_id: int, entries: Sequence[Entry], has_more: bool, rebuild: bool) -> int:
    """Merge ``entries`` (oldest first) into one home feed; see ADD_SCRIPT for the modes."""
    return merge_into(
        keys=feed_keys(account_id), entries=entries, has_more=has_more, rebuild=rebuild
    )


def merge_into(
    *, keys: Sequence[str], entries: Sequence[Entry], has_more: bool, rebuild: bool
) -> int:
    """Merge ``entries`` (oldest first) into the feed of ``keys`` (a home feed's or a list's:
    feed, reblogs, truncated); see ADD_SCRIPT for the modes."""
    add, _remove = scripts()
    mode = "rebuild" if rebuild else "merge"
    added = 0
    chunks = [entries[i : i + BATCH_SIZE] for i in range(0, len(entries), BATCH_SIZE)] or [[]]
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        args = [
            max_entries(),
            REBLOG_FALLOFF,
            ttl_seconds(),
            mode if index == 0 else ("merge" if not rebuild else "push"),
            1 if has_more and last else 0,
            *_pairs(chunk),
        ]
        added += add(keys=keys, args=args)
    return added


def remove(*, entries: Sequence[Entry], account_ids: Sequence[int]) -> int:
    """Remove ``entries`` from each feed of ``account_ids``, in pipelined batches."""
    if not entries:
        return 0
    _add, remove_script = scripts()
    args = _pairs(entries)
    removed = 0
    for start in range(0, len(account_ids), BATCH_SIZE):
        pipe = client().pipeline(transaction=False)
        for account_id in account_ids[start : start + BATCH_SIZE]:
            key, reblogs, _truncated = feed_keys(account_id)
            remove_script(keys=(key, reblogs), args=args, client=pipe)
        removed += sum(pipe.execute())
    return removed


def fanout_status(*, status_id: int) -> int:
    """Push a published status into the feeds it belongs in; entries added (0 if gone)."""
    found = status_audience(status_id=status_id)
    if found is None:
        return 0
    entry, audience = found
    from apps.feed.fanout.lists import push_to_lists

    added = push(entry=entry, account_ids=active_among(audience))
    return added + push_to_lists(status_id=status_id)


def unpush_status(*, status_id: int, author_id: int, reblog_of_id: int | None = None) -> int:
    """Take a status out of the feeds of its author, followers and mentioned accounts."""
    audience = removal_audience(status_id=status_id, author_id=author_id)
    entry = Entry(status_id=status_id, reblog_of_id=reblog_of_id)
    from apps.feed.fanout.lists import unpush_from_lists

    removed = remove(entries=[entry], account_ids=active_among(audience))
    return removed + unpush_from_lists(
        status_id=status_id, author_id=author_id, reblog_of_id=reblog_of_id
    )


def _followee_entries(*, follower_id: int, followee_id: int, newer_than: int | None) -> list:
    """The followee's statuses a follower's home feed takes, newest first (one query)."""
    shows_reblogs = (
        Follow.objects.filter(account_id=follower_id, target_id=followee_id)
        .values_list("show_reblogs", flat=True)
        .first()
    )
    queryset = Status.objects.filter(account_id=followee_id).exclude(
        moderation_state=ModerationState.REMOVED
    )
    queryset = queryset.exclude(visibility=Visibility.DIRECT)
    if shows_reblogs is False:
        queryset = queryset.filter(reblog_of__isnull=True)
    if newer_than is not None:
        queryset = queryset.filter(pk__gt=newer_than)
    return list(queryset.order_by("-id").values_list("id", "reblog_of_id")[: max_entries() + 1])


def merge_followee(*, follower_id: int, followee_id: int) -> int:
    """After a follow: the followee's recent statuses join the follower's (existing) feed."""
    rows = _followee_entries(follower_id=follower_id, followee_id=followee_id, newer_than=None)
    has_more = len(rows) > max_entries()
    entries = [Entry(i, r) for i, r in reversed(rows[: max_entries()])]
    return merge(account_id=follower_id, entries=entries, has_more=has_more, rebuild=False)


def unmerge_followee(*, follower_id: int, followee_id: int) -> int:
    """After an unfollow or a block: the former followee's statuses leave the feed."""
    # Without scores redis-py answers a plain list of members (ids).
    oldest = cast("list[bytes]", client().zrange(feed_key(follower_id), 0, 0))
    if not oldest:
        return 0
    rows = (
        Status.objects.filter(account_id=followee_id, pk__gte=int(oldest[0]))
        .order_by("-id")
        .values_list("id", "reblog_of_id")
    )
    entries = [Entry(i, r) for i, r in rows]
    return remove(entries=entries, account_ids=[follower_id])


def relationship_changed(*, account_id: int, target_id: int, following: bool) -> None:
    """Hook for services: after commit, merge (follow) or unmerge (unfollow, block)."""
    if not store_enabled():
        return
    queue.send_on_commit(
        "feed.merge" if following else "feed.unmerge",
        follower_id=account_id,
        followee_id=target_id,
    )
