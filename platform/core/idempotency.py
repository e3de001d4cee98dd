"""Idempotency keys: a client's retried create returns what its first request made.

Mastodon clients send an ``Idempotency-Key`` header with ``POST /api/v1/statuses``
so that a request retried after a lost answer does not post twice. As Mastodon
does, the key is kept per account for an hour and names the object the first
request created; a repeat within the hour gets that object back instead of a new
one. Each kind of object has a ``scope`` of its own, so the same key used for a
status and for a scheduled status names two objects.

The key lives in the cache (Redis in production), not the database: losing it
costs at most a duplicate, which is what a client without keys gets anyway. Two
requests racing with one key may both create; Mastodon takes the same risk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol, TypeVar

from django.core.cache import cache

TTL_SECONDS = 60 * 60


class _HasPk(Protocol):
    pk: int


Created = TypeVar("Created", bound=_HasPk)


def _cache_key(*, scope: str, account_id: int, key: str) -> str:
    # Clients choose the key: hashed, so any length or character makes a valid cache key.
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"idempotency:{scope}:{account_id}:{digest}"


def create_once(
    *,
    scope: str,
    account_id: int,
    key: str | None,
    find: Callable[[int], Created | None],
    create: Callable[[], Created],
) -> Created:
    """What ``create()`` made for this ``key`` in the last hour, else ``create()``'s new result.

    ``find(pk)`` loads the earlier object, or returns ``None`` when it is gone (deleted,
    or its transaction rolled back), in which case ``create()`` runs again. Without a
    key ``create()`` simply runs. Whatever ``create()`` raises propagates, and a failed
    attempt remembers nothing, so the client may retry with the same key.
    """
    if not key:
        return create()
    cache_key = _cache_key(scope=scope, account_id=account_id, key=key)
    earlier = cache.get(cache_key)
    if earlier is not None:
        found = find(earlier)
        if found is not None:
            return found
    created = create()
    cache.set(cache_key, created.pk, TTL_SECONDS)
    return created
