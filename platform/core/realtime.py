"""Broadcasting to WebSocket groups after the transaction commits."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.db import transaction


def broadcast(group: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to every consumer in ``group`` now."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, payload)


def broadcast_on_commit(group: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to ``group`` once the current transaction commits."""
    transaction.on_commit(lambda: broadcast(group, payload))


def broadcast_many(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Send each ``(group, payload)`` now, in order, in one trip into the channel layer's loop.

    A fan-out to many groups (one per follower) pays for ``async_to_sync`` once, not per group.
    """
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    listened = groups_listened(layer, {group for group, _payload in messages})
    messages = [(group, payload) for group, payload in messages if group in listened]
    if not messages:
        return

    async def send_all() -> None:
        for group, payload in messages:
            await layer.group_send(group, payload)

    async_to_sync(send_all)()


def groups_listened(layer: Any, groups: set[str]) -> set[str]:
    """Of ``groups``, those that may have a member: every group but those known empty.

    Most of a post's audience is not streaming when it is posted, and channels-redis's
    ``group_send`` costs two round trips to Redis for a group nobody listens to, on a
    connection opened anew for each ``async_to_sync`` loop. On channels-redis (one host or
    several, not Sentinel) this asks each host once, with one pipelined ``EXISTS`` per group
    key, over a synchronous client kept per host. A group joined a moment after the check
    misses this message as it would had it joined a moment after the send. Other layers
    are not asked: every group is answered. The keys come from channels-redis's own
    ``_group_key``; the integration suite (``test_streaming_redis``) fails if it changes.
    """
    if type(layer) is not RedisChannelLayer or not groups:
        return groups
    by_host: dict[int, list[str]] = defaultdict(list)
    for group in groups:
        by_host[layer.consistent_hash(group)].append(group)
    listened: set[str] = set()
    for index, names in by_host.items():
        client = _host_client(json.dumps(layer.hosts[index], sort_keys=True, default=str))
        if client is None:
            listened.update(names)
            continue
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.exists(layer._group_key(name))
        listened.update(name for name, found in zip(names, pipe.execute(), strict=True) if found)
    return listened


@functools.cache
def _host_client(host: str) -> redis.Redis | None:
    """A synchronous client for one of the layer's hosts (its JSON); None for Sentinel."""
    options = json.loads(host)
    if "master_name" in options:
        return None
    if "address" in options:
        return redis.Redis.from_url(options.pop("address"), **options)
    return redis.Redis(**options)


def broadcast_many_on_commit(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """``broadcast_many`` once the current transaction commits.

    Robust: the write is already committed when this runs, so a channel layer that is
    down is logged rather than turned into an error for the request that made the write.
    """
    transaction.on_commit(lambda: broadcast_many(messages), robust=True)
