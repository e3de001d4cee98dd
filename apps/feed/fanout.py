"""Fan-out on write: the home feed store, as Mastodon's FeedManager keeps it.

Each account's home feed is a Redis sorted set of status ids (score = id) at
``feed:home:<account id>``, capped at ``AGORA_FEED_MAX_ENTRIES``. A new status is
pushed, by a Celery task, into its author's feed and the feeds of the followers
who read their home timeline within the last ``AGORA_FEED_ACTIVE_DAYS`` days
(``feed:active``, account id -> time of the last read). A reblog of a status
already near the top of a feed is not repeated: ``feed:home:<id>:reblogs`` maps
each original shown through a reblog to that reblog's id, and
``feed:home:<id>:reblogs:<original>`` holds every reblog of it that reached the feed.

A feed that is missing, or belongs to an account inactive for longer than the
window, is cold: the next read rebuilds it from the database (the selectors' home
query). ``feed:home:<id>:truncated`` marks a feed that lost its oldest entries (the
cap, or a rebuild that could not hold everything): the store then vouches only
for ids from its oldest entry up, and a page reaching below that is served from
the database. Reads always re-apply the database's visibility, block and mute
rules to the ids the store returns, so nothing that became invisible leaks.

Without ``REDIS_URL`` (the embedded default) there is no store and the selectors
read the database directly.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import BARRING_STANDINGS, Standing, User
from apps.feed import selectors
from apps.feed.models import (
    Block,
    Follow,
    Mention,
    ModerationState,
    Mute,
    Status,
    Visibility,
)
from core import events
from core.pagination import PageParams

ACTIVE_KEY = "feed:active"
REBLOG_FALLOFF = 40
BATCH_SIZE = 1000
# Ids beyond 2**53 share a score with their neighbours (scores are doubles): ranges
# are read with inclusive bounds and a little slack, then cut exactly by id.
TIE_SLACK = 8

# KEYS: (feed, reblogs, truncated) for each feed, one triple per feed. ARGV: cap,
# falloff, ttl, mode, has_more, then (id, original or 0) pairs oldest first. mode:
# "push" (fan-out: create the feed if need be), "merge" (only into an existing feed,
# never below a truncated feed's oldest entry), "rebuild" (from the database: forget
# the old truncation mark). has_more: the pairs are the newest of a longer source, so
# what lies below the oldest pair cannot be vouched for and is dropped. One call
# serves a whole batch of feeds (fan-out). Returns the number of entries added.
ADD_SCRIPT = """
local cap, falloff, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local mode, has_more = ARGV[4], ARGV[5] == '1'
local function older(a, b) return #a < #b or (#a == #b and a < b) end
local function add(feed, reblogs, truncated)
  if mode == 'merge' and redis.call('EXISTS', feed) == 0 then return 0 end
  if mode == 'rebuild' then redis.call('DEL', truncated) end
  local floor = nil
  local is_truncated = redis.call('EXISTS', truncated) == 1
  if is_truncated then
    floor = redis.call('ZRANGE', feed, 0, 0)[1]
  end
  local added, lowest = 0, nil
  for i = 6, #ARGV, 2 do
    local id, original = ARGV[i], ARGV[i + 1]
    if lowest == nil or older(id, lowest) then lowest = id end
    if floor == nil or older(floor, id) then
      if original ~= '0' then
        if not redis.call('ZSCORE', feed, id) then
          local rank = redis.call('ZREVRANK', feed, original)
          if not rank or rank >= falloff then
            local seen = reblogs .. ':' .. original
            redis.call('SADD', seen, id)
            redis.call('EXPIRE', seen, ttl)
            if redis.call('ZADD', reblogs, 'NX', id, original) == 1 then
              redis.call('ZADD', feed, id, id)
              added = added + 1
            end
          end
        end
      elseif not redis.call('ZSCORE', reblogs, id) then
        added = added + redis.call('ZADD', feed, 'NX', id, id)
      end
    end
  end
  if has_more and lowest then
    local below = redis.call('ZRANGEBYSCORE', feed, '-inf', '(' .. lowest)
    for _, member in ipairs(below) do
      if older(member, lowest) then redis.call('ZREM', feed, member) end
    end
    redis.call('SET', truncated, '1')
    is_truncated = true
  end
  if added > 0 and redis.call('ZREMRANGEBYRANK', feed, 0, -(cap + 1)) > 0 then
    redis.call('SET', truncated, '1')
    is_truncated = true
  end
  if redis.call('ZCARD', reblogs) > 0 then
    local edge = redis.call('ZREVRANGE', feed, falloff, falloff, 'WITHSCORES')
    if edge[2] then
      for _, original in ipairs(redis.call('ZRANGEBYSCORE', reblogs, '-inf', edge[2])) do
        redis.call('DEL', reblogs .. ':' .. original)
      end
      redis.call('ZREMRANGEBYSCORE', reblogs, '-inf', edge[2])
    end
    redis.call('EXPIRE', reblogs, ttl)
  end
  redis.call('EXPIRE', feed, ttl)
  if is_truncated then redis.call('EXPIRE', truncated, ttl) end
  return added
end
local total = 0
for k = 1, #KEYS, 3 do
  total = total + add(KEYS[k], KEYS[k + 1], KEYS[k + 2])
end
return total
"""

# KEYS: feed, reblogs. ARGV: (id, original or 0 when it is not, or not known to be, a
# reblog) pairs. Removes each status; a removed original takes the reblogs shown for
# it along; a removed reblog that stood for its original is replaced by the oldest
# other reblog of it the feed received. Returns the number of entries removed.
REMOVE_SCRIPT = """
local feed, reblogs = KEYS[1], KEYS[2]
local removed = 0
local function older(a, b) return #a < #b or (#a == #b and a < b) end
local function remove_reblog(id, original)
  local seen = reblogs .. ':' .. original
  redis.call('SREM', seen, id)
  if redis.call('ZREM', feed, id) == 0 then return end
  removed = removed + 1
  redis.call('ZREM', reblogs, original)
  local other = nil
  for _, member in ipairs(redis.call('SMEMBERS', seen)) do
    if other == nil or older(member, other) then other = member end
  end
  if other then
    redis.call('ZADD', feed, other, other)
    redis.call('ZADD', reblogs, other, original)
  end
end
for i = 1, #ARGV, 2 do
  local id, original = ARGV[i], ARGV[i + 1]
  if original ~= '0' then
    remove_reblog(id, original)
  else
    for _, candidate in ipairs(redis.call('ZRANGEBYSCORE', reblogs, id, id)) do
      if redis.call('SISMEMBER', reblogs .. ':' .. candidate, id) == 1 then
        remove_reblog(id, candidate)
      end
    end
    local seen = reblogs .. ':' .. id
    for _, reblog in ipairs(redis.call('SMEMBERS', seen)) do
      removed = removed + redis.call('ZREM', feed, reblog)
    end
    redis.call('DEL', seen)
    redis.call('ZREM', reblogs, id)
    removed = removed + redis.call('ZREM', feed, id)
  end
end
return removed
"""


@dataclass(frozen=True)
class Entry:
    """A status as the feed store sees it: its id and, for a reblog, the original's id."""

    status_id: int
    reblog_of_id: int | None = None


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


def feed_key(account_id: int) -> str:
    return f"feed:home:{account_id}"


def feed_keys(account_id: int) -> tuple[str, str, str]:
    """The feed, its reblog tracking and its truncation mark, as the scripts take them."""
    key = feed_key(account_id)
    return key, f"{key}:reblogs", f"{key}:truncated"


def max_entries() -> int:
    return settings.AGORA_FEED_MAX_ENTRIES


def active_seconds() -> int:
    return settings.AGORA_FEED_ACTIVE_DAYS * 24 * 3600


def ttl_seconds() -> int:
    """Feeds outlive the activity window by a day, then Redis drops them."""
    return active_seconds() + 24 * 3600


def store_enabled() -> bool:
    """The store exists only when Redis is configured (``REDIS_URL``)."""
    return bool(settings.REDIS_URL)


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def client() -> redis.Redis:
    return _client_for(settings.REDIS_URL)


@lru_cache(maxsize=4)
def _scripts_for(url: str):
    connection = _client_for(url)
    return connection.register_script(ADD_SCRIPT), connection.register_script(REMOVE_SCRIPT)


def _scripts():
    return _scripts_for(settings.REDIS_URL)


# Pure logic ---------------------------------------------------------------


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


def audience_ids(
    *,
    author_id: int,
    visibility: str,
    is_reblog: bool,
    follower_rows: Iterable[tuple[int, bool]],
    mentioned_ids: Iterable[int],
) -> list[int]:
    """Whose feeds a status belongs in, before the activity filter: Mastodon's rules.

    The author always; public, unlisted and private statuses go to followers (a reblog
    not to those who turned the booster's reblogs off); direct ones only to the
    accounts they mention. ``follower_rows`` are (follower id, shows reblogs).
    """
    audience = {author_id}
    if visibility == Visibility.DIRECT:
        audience.update(mentioned_ids)
    else:
        audience.update(
            follower for follower, shows_reblogs in follower_rows if shows_reblogs or not is_reblog
        )
    return sorted(audience)


def _pairs(entries: Sequence[Entry]) -> list[int]:
    flat: list[int] = []
    for entry in entries:
        flat.extend((entry.status_id, entry.reblog_of_id or 0))
    return flat


# The store ----------------------------------------------------------------


def active_among(account_ids: Sequence[int], *, now: float | None = None) -> list[int]:
    """The accounts of ``account_ids`` that read their home timeline within the window."""
    if not account_ids:
        return []
    cutoff = (now or time.time()) - active_seconds()
    connection = client()
    active: list[int] = []
    for start in range(0, len(account_ids), BATCH_SIZE * 10):
        chunk = account_ids[start : start + BATCH_SIZE * 10]
        scores = connection.zmscore(ACTIVE_KEY, chunk)
        active.extend(
            a for a, s in zip(chunk, scores, strict=True) if s is not None and s >= cutoff
        )
    return active


def mark_active(account_ids: Sequence[int], *, now: float | None = None) -> None:
    """Record a home timeline read (the bench marks whole populations at once)."""
    moment = now or time.time()
    connection = client()
    for start in range(0, len(account_ids), BATCH_SIZE * 10):
        chunk = account_ids[start : start + BATCH_SIZE * 10]
        connection.zadd(ACTIVE_KEY, dict.fromkeys(chunk, moment))


def push(*, entry: Entry, account_ids: Sequence[int]) -> int:
    """Add one status to each feed of ``account_ids``: one script call per batch of
    feeds, every batch in one pipelined round trip. Returns the entries added."""
    if not account_ids:
        return 0
    add, _remove = _scripts()
    args = [max_entries(), REBLOG_FALLOFF, ttl_seconds(), "push", 0, *_pairs([entry])]
    pipe = client().pipeline(transaction=False)
    for start in range(0, len(account_ids), BATCH_SIZE):
        keys = [key for a in account_ids[start : start + BATCH_SIZE] for key in feed_keys(a)]
        add(keys=keys, args=args, client=pipe)
    return sum(pipe.execute())


def merge(*, account_id: int, entries: Sequence[Entry], has_more: bool, rebuild: bool) -> int:
    """Merge ``entries`` (oldest first) into one feed; see ADD_SCRIPT for the modes."""
    add, _remove = _scripts()
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
        added += add(keys=feed_keys(account_id), args=args)
    return added


def remove(*, entries: Sequence[Entry], account_ids: Sequence[int]) -> int:
    """Remove ``entries`` from each feed of ``account_ids``, in pipelined batches."""
    if not entries:
        return 0
    _add, remove_script = _scripts()
    args = _pairs(entries)
    removed = 0
    for start in range(0, len(account_ids), BATCH_SIZE):
        pipe = client().pipeline(transaction=False)
        for account_id in account_ids[start : start + BATCH_SIZE]:
            key, reblogs, _truncated = feed_keys(account_id)
            remove_script(keys=(key, reblogs), args=args, client=pipe)
        removed += sum(pipe.execute())
    return removed


def feed_ids(account_id: int) -> list[int]:
    """Every id in a feed, newest first (tests and the bench look inside)."""
    return [int(m) for m in client().zrevrange(feed_key(account_id), 0, -1)]


# Writes driven by events and relationships ---------------------------------


def fanout_status(*, status_id: int) -> int:
    """Push a published status into the feeds it belongs in; entries added (0 if gone)."""
    row = (
        Status.objects.filter(pk=status_id)
        .exclude(moderation_state=ModerationState.REMOVED)
        .values("account_id", "visibility", "reblog_of_id")
        .first()
    )
    if row is None:
        return 0
    is_reblog = row["reblog_of_id"] is not None
    follower_rows: Iterable[tuple[int, bool]] = ()
    mentioned: Iterable[int] = ()
    if row["visibility"] == Visibility.DIRECT:
        mentioned = Mention.objects.filter(status_id=status_id).values_list("account_id", flat=True)
    else:
        follower_rows = Follow.objects.filter(target_id=row["account_id"]).values_list(
            "account_id", "show_reblogs"
        )
    audience = audience_ids(
        author_id=row["account_id"],
        visibility=row["visibility"],
        is_reblog=is_reblog,
        follower_rows=follower_rows,
        mentioned_ids=mentioned,
    )
    entry = Entry(status_id=status_id, reblog_of_id=row["reblog_of_id"])
    return push(entry=entry, account_ids=active_among(audience))


def unpush_status(*, status_id: int, author_id: int, reblog_of_id: int | None = None) -> int:
    """Take a status out of the feeds of its author, followers and mentioned accounts."""
    audience = set(Follow.objects.filter(target_id=author_id).values_list("account_id", flat=True))
    audience.update(
        Mention.objects.filter(status_id=status_id).values_list("account_id", flat=True)
    )
    audience.add(author_id)
    entry = Entry(status_id=status_id, reblog_of_id=reblog_of_id)
    return remove(entries=[entry], account_ids=active_among(sorted(audience)))


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
    oldest = client().zrange(feed_key(follower_id), 0, 0)
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
    from apps.feed import tasks

    task = tasks.feed_merge_task if following else tasks.feed_unmerge_task
    transaction.on_commit(
        lambda: task.delay(follower_id=account_id, followee_id=target_id), robust=True
    )


# Reads --------------------------------------------------------------------


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
    pipe.zadd(ACTIVE_KEY, {account_id: moment})
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


class HomeRow(NamedTuple):
    """The columns of a feed entry the home timeline's rules look at."""

    pk: int
    account_id: int
    visibility: str
    moderation_state: str
    reblog_of_id: int | None
    account_is_active: bool
    original_moderation_state: str | None
    original_account_id: int | None


HOME_ROW_COLUMNS = (
    "id",
    "account_id",
    "visibility",
    "moderation_state",
    "reblog_of_id",
    "account__is_active",
    "reblog_of__moderation_state",
    "reblog_of__account_id",
)


@dataclass
class HomeRelations:
    """What the viewer has with the accounts and statuses of a few feed entries.

    Loaded in one query (:func:`home_relations`) so that :func:`shown_on_home` can
    apply the home timeline's rules to those rows without re-running the database's
    home query for them.
    """

    follows: dict[int, bool]
    blocked: set[int]
    muted: set[int]
    mentioned: set[int]
    limited: set[int]
    hidden: set[int]


def home_relations(*, viewer, rows: Sequence[HomeRow]) -> HomeRelations:
    """Follows (with show_reblogs), blocks either way, active mutes, mentions of the
    viewer and restrictions in force, for the accounts and statuses of ``rows``."""
    account_ids = sorted(
        {r.account_id for r in rows}
        | {r.original_account_id for r in rows if r.original_account_id is not None}
    )
    status_ids = [r.pk for r in rows]
    relations = HomeRelations({}, set(), set(), set(), set(), set())
    if not rows:
        return relations
    accounts_in = ", ".join(["%s"] * len(account_ids))
    statuses_in = ", ".join(["%s"] * len(status_ids))
    now = timezone.now()
    # Only table names and placeholders are formatted in; every value is a parameter.
    sql = f"""
        SELECT 'follow', target_id, show_reblogs FROM {Follow._meta.db_table}
         WHERE account_id = %s AND target_id IN ({accounts_in})
        UNION ALL SELECT 'block', target_id, FALSE FROM {Block._meta.db_table}
         WHERE account_id = %s AND target_id IN ({accounts_in})
        UNION ALL SELECT 'block', account_id, FALSE FROM {Block._meta.db_table}
         WHERE target_id = %s AND account_id IN ({accounts_in})
        UNION ALL SELECT 'mute', target_id, FALSE FROM {Mute._meta.db_table}
         WHERE account_id = %s AND target_id IN ({accounts_in})
           AND (expires_at IS NULL OR expires_at > %s)
        UNION ALL SELECT 'mention', status_id, FALSE FROM {Mention._meta.db_table}
         WHERE account_id = %s AND status_id IN ({statuses_in})
        UNION ALL SELECT standing, id, FALSE FROM {User._meta.db_table}
         WHERE id IN ({accounts_in}) AND standing <> %s
           AND (standing_until IS NULL OR standing_until > %s)
    """  # noqa: S608
    params = [
        viewer.pk, *account_ids,
        viewer.pk, *account_ids,
        viewer.pk, *account_ids,
        viewer.pk, *account_ids, now,
        viewer.pk, *status_ids,
        *account_ids, Standing.NONE.value, now,
    ]  # fmt: skip
    hiding = {str(standing) for standing in BARRING_STANDINGS}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, target, flag in cursor.fetchall():
            if kind == "follow":
                relations.follows[target] = bool(flag)
            elif kind == "block":
                relations.blocked.add(target)
            elif kind == "mute":
                relations.muted.add(target)
            elif kind == "mention":
                relations.mentioned.add(target)
            elif kind == Standing.LIMITED:
                relations.limited.add(target)
            elif kind in hiding:
                relations.hidden.add(target)
    return relations


def shown_on_home(*, viewer, status: HomeRow, relations: HomeRelations) -> bool:
    """Whether the home timeline shows the status of ``status``.

    The same rules as ``Status.objects.visible_to`` with :func:`selectors.home_queryset`
    (followed or own, no direct from others, reblogs as the follow allows, no mutes),
    applied to one row: the store's page is checked this way instead of re-running
    the home query for a handful of ids.
    """
    me = viewer.pk
    author = status.account_id
    own = author == me
    follows = relations.follows
    if status.moderation_state == ModerationState.REMOVED or not status.account_is_active:
        return False
    if author in relations.hidden or author in relations.blocked or author in relations.muted:
        return False
    if not own and (author not in follows or status.visibility == Visibility.DIRECT):
        return False
    if not own:
        if status.moderation_state != ModerationState.VISIBLE:
            return False
        if status.visibility == Visibility.PRIVATE and not (
            author in follows or status.pk in relations.mentioned
        ):
            return False
        if status.visibility == Visibility.DIRECT and status.pk not in relations.mentioned:
            return False
    if author in relations.limited and not (own or author in follows):
        return False
    if status.reblog_of_id is None:
        return True
    origin = status.original_account_id
    if origin is None or follows.get(author) is False:
        return False
    if origin in relations.hidden or origin in relations.blocked or origin in relations.muted:
        return False
    if not (
        status.original_moderation_state == ModerationState.VISIBLE
        or (origin == me and status.original_moderation_state == ModerationState.HIDDEN)
    ):
        return False
    return origin not in relations.limited or origin == me or origin in follows


def _home_row(status: Status) -> HomeRow:
    original = status.reblog_of if status.reblog_of_id is not None else None
    return HomeRow(
        pk=status.pk,
        account_id=status.account_id,
        visibility=status.visibility,
        moderation_state=status.moderation_state,
        reblog_of_id=status.reblog_of_id,
        account_is_active=status.account.is_active,
        original_moderation_state=original.moderation_state if original else None,
        original_account_id=original.account_id if original else None,
    )


# Ids read past the page in a first fetch, for entries the rules may drop; the rest of
# the read is fetched only when the first batch falls short.
FETCH_SLACK = 4


def _shown(*, viewer, ids: list[int]) -> list[Status]:
    """The statuses of ``ids`` the home timeline still shows: the rows with their authors
    (and reblogged statuses) in one query, one query of the viewer's relations to them,
    and the rules applied in Python."""
    statuses = list(
        Status.objects.select_related("account", "reblog_of", "reblog_of__account").filter(
            pk__in=ids
        )
    )
    rows = {status.pk: _home_row(status) for status in statuses}
    relations = home_relations(viewer=viewer, rows=list(rows.values()))
    return [
        s for s in statuses if shown_on_home(viewer=viewer, status=rows[s.pk], relations=relations)
    ]


def _fetch(*, viewer, ids: list[int], query: RangeQuery, limit: int) -> list[Status]:
    """The page of ``ids`` (in the read's order) the home timeline shows, newest first.

    Usually one batch (the page and a few more) covers it; entries the rules drop make
    it read the rest of the range. Mentions and tags are left to the rendering, which
    fetches them only for entities missing from its cache."""
    if not ids:
        return []
    cut = limit + FETCH_SLACK
    shown = _shown(viewer=viewer, ids=ids[:cut])
    if len(shown) < limit and len(ids) > cut:
        shown += _shown(viewer=viewer, ids=ids[cut:])
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


# Event handlers (connected by apps.feed.handlers) ----------------------------


def on_content_published(event: events.ContentPublished) -> None:
    """A status was published (after commit): enqueue its fan-out."""
    if event.content_type == "status" and store_enabled():
        from apps.feed import tasks

        tasks.feed_fanout_task.delay(status_id=event.content_id)


def on_content_deleted(event: events.ContentDeleted) -> None:
    """A status was deleted: enqueue its removal from the feeds it reached."""
    if event.content_type == "status" and store_enabled():
        from apps.feed import tasks

        tasks.feed_unpush_task.delay(status_id=event.content_id, author_id=event.author_id)


def on_content_actioned(event: events.ContentActioned) -> None:
    """Moderation removed a status (out of every feed) or restored one (pushed again)."""
    if event.content_type != "status" or not store_enabled():
        return
    from apps.feed import tasks

    if event.action == "remove":
        row = Status.objects.filter(pk=event.content_id).values("account_id", "reblog_of_id")
        found = row.first()
        if found is not None:
            tasks.feed_unpush_task.delay(
                status_id=event.content_id,
                author_id=found["account_id"],
                reblog_of_id=found["reblog_of_id"],
            )
    elif event.action in ("restore", "approve"):
        tasks.feed_fanout_task.delay(status_id=event.content_id)


def connect() -> None:
    events.subscribe(events.ContentPublished, on_content_published)
    events.subscribe(events.ContentDeleted, on_content_deleted)
    events.subscribe(events.ContentActioned, on_content_actioned)
