"""Broadcasting to WebSocket groups after the transaction commits."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
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

    async def send_all() -> None:
        for group, payload in messages:
            await layer.group_send(group, payload)

    async_to_sync(send_all)()


def broadcast_many_on_commit(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """``broadcast_many`` once the current transaction commits.

    Robust: the write is already committed when this runs, so a channel layer that is
    down is logged rather than turned into an error for the request that made the write.
    """
    transaction.on_commit(lambda: broadcast_many(messages), robust=True)
