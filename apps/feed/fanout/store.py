"""The Redis side of the feed store: the connection, the key layout, its settings, what an
entry is, and the activity index that decides which feeds are kept warm.

Only this module (and the scripts registered on its connection) knows how keys are named:
``feed:home:<account id>`` with its ``:reblogs`` tracking and ``:truncated`` mark, and
``feed:active`` (account id -> time of the last home timeline read).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings

ACTIVE_KEY = "feed:active"
BATCH_SIZE = 1000


@dataclass(frozen=True)
class Entry:
    """A status as the feed store sees it: its id and, for a reblog, the original's id."""

    status_id: int
    reblog_of_id: int | None = None


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
def client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def client() -> redis.Redis:
    return client_for(settings.REDIS_URL)


def active_among(account_ids: Sequence[int], *, now: float | None = None) -> list[int]:
    """The accounts of ``account_ids`` that read their home timeline within the window."""
    if not account_ids:
        return []
    cutoff = (now or time.time()) - active_seconds()
    connection = client()
    active: list[int] = []
    for start in range(0, len(account_ids), BATCH_SIZE * 10):
        chunk = account_ids[start : start + BATCH_SIZE * 10]
        scores = connection.zmscore(ACTIVE_KEY, [str(a) for a in chunk])
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
        connection.zadd(ACTIVE_KEY, dict.fromkeys((str(a) for a in chunk), moment))
