"""Viewers of live streams: who is watching now, peak and unique viewers, and heartbeats.

A viewer is named by a key: ``a:<account id>`` for a signed-in account, ``anon:<id>``
for an anonymous player (a random id the player made up and keeps). Players send a
heartbeat every ~15 s and chat presence calls :func:`viewer_seen` too; a viewer counts
as watching for ``LIVE_VIEWER_TTL_SECONDS`` after it was last seen.

The counts live in Redis (``REDIS_URL``), per stream:

- ``live:viewers:<stream id>``, a sorted set of viewer keys scored by when each was last
  seen: the current count is the members seen within the TTL (``ZCOUNT``), and the
  periodic fold trims the older ones;
- ``live:uniques:<stream id>``, the set of every viewer key seen (``SCARD``: unique viewers).

Both expire on their own once nobody is seen, and are deleted when the stream ends. A
heartbeat is one round trip (a pipeline). Without Redis (the embedded default: one
process, and the unit suite) :class:`MemoryViewerStore` keeps the same structures in
this process; the integration suite runs the same scenarios on Redis.

Every few seconds :func:`viewer_counts_fold` (the task ``live.viewer_counts``) tells each
live stream's room its ``viewer_count`` and folds the counts into the stream's
``peak_viewers`` and ``unique_viewers``; when a stream ends, :func:`viewer_stream_ended`
folds them a last time, clears its keys and tells the room ``ended``.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import redis
from django.conf import settings
from django.db.models import Q, Value
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from apps.live.models import Stream
from apps.live.services import watch
from apps.live.services.rooms import room_group, room_message
from core import errors
from core.realtime import broadcast_many

ANONYMOUS_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
VIEWER_KEY = re.compile(r"^(a:[0-9]{1,20}|anon:[A-Za-z0-9_-]{8,64})$")
#: The set of unique viewers outlives the last heartbeat by this long (the stream's end
#: deletes it sooner).
UNIQUES_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True)
class ViewerCounts:
    current: int
    unique: int


class ViewerStore(Protocol):
    def seen(self, stream_id: int, viewer_key: str, now: float) -> int: ...

    def current(self, stream_ids: list[int], now: float) -> dict[int, int]: ...

    def counts(self, stream_ids: list[int], now: float) -> dict[int, ViewerCounts]: ...

    def clear(self, stream_id: int) -> None: ...


def _ttl() -> int:
    return settings.LIVE_VIEWER_TTL_SECONDS


def viewers_key(stream_id: int) -> str:
    return f"live:viewers:{stream_id}"


def uniques_key(stream_id: int) -> str:
    return f"live:uniques:{stream_id}"


class RedisViewerStore:
    """The counts in Redis: a sorted set of who was seen when, and a set of who ever was."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def seen(self, stream_id: int, viewer_key: str, now: float) -> int:
        ttl = _ttl()
        viewers, uniques = viewers_key(stream_id), uniques_key(stream_id)
        pipe = self.client.pipeline(transaction=False)
        pipe.zadd(viewers, {viewer_key: now})
        pipe.expire(viewers, ttl * 2)
        pipe.sadd(uniques, viewer_key)
        pipe.expire(uniques, UNIQUES_SECONDS)
        pipe.zcount(viewers, now - ttl, "+inf")
        return int(pipe.execute()[-1])

    def current(self, stream_ids: list[int], now: float) -> dict[int, int]:
        if not stream_ids:
            return {}
        pipe = self.client.pipeline(transaction=False)
        for stream_id in stream_ids:
            pipe.zcount(viewers_key(stream_id), now - _ttl(), "+inf")
        return {s: int(n) for s, n in zip(stream_ids, pipe.execute(), strict=True)}

    def counts(self, stream_ids: list[int], now: float) -> dict[int, ViewerCounts]:
        if not stream_ids:
            return {}
        pipe = self.client.pipeline(transaction=False)
        for stream_id in stream_ids:
            pipe.zremrangebyscore(viewers_key(stream_id), "-inf", f"({now - _ttl()}")
            pipe.zcard(viewers_key(stream_id))
            pipe.scard(uniques_key(stream_id))
        answers = pipe.execute()
        return {
            stream_id: ViewerCounts(current=int(answers[3 * i + 1]), unique=int(answers[3 * i + 2]))
            for i, stream_id in enumerate(stream_ids)
        }

    def clear(self, stream_id: int) -> None:
        self.client.delete(viewers_key(stream_id), uniques_key(stream_id))


class MemoryViewerStore:
    """The same counts in this process, without Redis (one process only)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.viewers: dict[int, dict[str, float]] = {}
        self.uniques: dict[int, set[str]] = {}

    def _current(self, stream_id: int, now: float) -> int:
        since = now - _ttl()
        return sum(1 for seen in self.viewers.get(stream_id, {}).values() if seen >= since)

    def seen(self, stream_id: int, viewer_key: str, now: float) -> int:
        with self.lock:
            self.viewers.setdefault(stream_id, {})[viewer_key] = now
            self.uniques.setdefault(stream_id, set()).add(viewer_key)
            return self._current(stream_id, now)

    def current(self, stream_ids: list[int], now: float) -> dict[int, int]:
        with self.lock:
            return {stream_id: self._current(stream_id, now) for stream_id in stream_ids}

    def counts(self, stream_ids: list[int], now: float) -> dict[int, ViewerCounts]:
        since = now - _ttl()
        found = {}
        with self.lock:
            for stream_id in stream_ids:
                seen = self.viewers.get(stream_id, {})
                for key in [key for key, at in seen.items() if at < since]:
                    del seen[key]
                found[stream_id] = ViewerCounts(
                    current=len(seen), unique=len(self.uniques.get(stream_id, ()))
                )
        return found

    def clear(self, stream_id: int) -> None:
        with self.lock:
            self.viewers.pop(stream_id, None)
            self.uniques.pop(stream_id, None)


_memory_store = MemoryViewerStore()


@lru_cache(maxsize=4)
def _redis_store(url: str) -> RedisViewerStore:
    return RedisViewerStore(
        redis.Redis.from_url(
            url,
            socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
            socket_timeout=settings.REDIS_TIMEOUT,
        )
    )


def viewer_store() -> ViewerStore:
    """Redis when ``REDIS_URL`` is set, this process's memory otherwise."""
    if settings.REDIS_URL:
        return _redis_store(settings.REDIS_URL)
    return _memory_store


def viewer_key_for(*, viewer: Any, anonymous_id: str | None) -> str:
    """The viewer key of a signed-in ``viewer``, or of an anonymous player's ``anonymous_id``.

    Raises :class:`core.errors.Invalid` when an anonymous player sends no valid id.
    """
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        return f"a:{viewer.pk}"
    if not anonymous_id or not ANONYMOUS_ID.match(anonymous_id):
        raise errors.Invalid(
            {"viewer_id": [_("an anonymous player sends an id of 8 to 64 letters, digits, - or _")]}
        )
    return f"anon:{anonymous_id}"


def viewer_seen(stream_id: int, viewer_key: str, *, now: float | None = None) -> int:
    """``viewer_key`` is watching stream ``stream_id`` (a heartbeat, chat presence).

    Answers how many are watching now. Raises :class:`ValueError` for a malformed key
    (callers build it with :func:`viewer_key_for`, never from a client's word alone).
    """
    if not VIEWER_KEY.match(viewer_key):
        raise ValueError(f"not a viewer key: {viewer_key!r}")
    return viewer_store().seen(stream_id, viewer_key, time.time() if now is None else now)


def viewers_now(stream_ids: list[int], *, now: float | None = None) -> dict[int, int]:
    """How many watch each of ``stream_ids`` now (one round trip for all)."""
    return viewer_store().current(list(stream_ids), time.time() if now is None else now)


@dataclass(frozen=True)
class Heartbeat:
    """What a heartbeat did: viewers now, and the viewer's watch time of the stream today."""

    viewers: int
    watched_seconds: int
    counted: int


def stream_heartbeat(*, stream: Stream, viewer: Any, anonymous_id: str | None) -> Heartbeat:
    """A player of ``stream`` (which ``viewer`` may see) is playing it.

    Counts the viewer as watching and, for a signed-in viewer, adds the interval since its
    last heartbeat to its watch time (:func:`apps.live.services.watch.live_watch_record`).
    Raises :class:`core.errors.Conflict` when the stream is not live, and
    :class:`core.errors.Invalid` for an anonymous player without a valid id.
    """
    if stream.state != Stream.State.LIVE:
        raise errors.Conflict(_("The stream is not live."), code="stream_not_live")
    key = viewer_key_for(viewer=viewer, anonymous_id=anonymous_id)
    if key.startswith("a:"):
        recorded = watch.live_watch_record(viewer=viewer, stream=stream)
    else:
        recorded = watch.WatchRecorded(seconds=0, counted=0)
    viewers = viewer_seen(stream.pk, key)
    return Heartbeat(viewers=viewers, watched_seconds=recorded.seconds, counted=recorded.counted)


def _fold(counts: dict[int, ViewerCounts]) -> None:
    """Raise each stream's stored peak and unique viewers to ``counts`` (never lower them):
    one UPDATE per stream whose counts grew, none otherwise."""
    for stream_id, found in counts.items():
        Stream.objects.filter(
            Q(peak_viewers__lt=found.current) | Q(unique_viewers__lt=found.unique), pk=stream_id
        ).update(
            peak_viewers=Greatest("peak_viewers", Value(found.current)),
            unique_viewers=Greatest("unique_viewers", Value(found.unique)),
        )


def viewer_counts_fold(*, now: float | None = None) -> int:
    """Tell every live stream's room how many watch it, and fold the counts into the
    streams' peak and unique viewers. Periodic (``live.viewer_counts``); safe to run
    twice. Answers how many streams it told."""
    stream_ids = list(Stream.objects.filter(state=Stream.State.LIVE).values_list("pk", flat=True))
    if not stream_ids:
        return 0
    counts = viewer_store().counts(stream_ids, time.time() if now is None else now)
    _fold(counts)
    broadcast_many(
        [
            (room_group(stream_id), room_message("viewer_count", {"viewers": found.current}))
            for stream_id, found in counts.items()
        ]
    )
    return len(counts)


def viewer_stream_ended(*, stream_id: int, now: float | None = None) -> None:
    """Stream ``stream_id`` ended: fold its counts a last time, forget who watched, and
    tell its room ``ended``. Safe to run twice (the second fold finds nothing)."""
    store = viewer_store()
    counts = store.counts([stream_id], time.time() if now is None else now)
    _fold(counts)
    store.clear(stream_id)
    stream = Stream.objects.filter(pk=stream_id).only("peak_viewers", "unique_viewers").first()
    payload: dict[str, Any] = {"stream_id": str(stream_id)}
    if stream is not None:
        payload |= {"peak_viewers": stream.peak_viewers, "unique_viewers": stream.unique_viewers}
    broadcast_many([(room_group(stream_id), room_message("ended", payload))])
