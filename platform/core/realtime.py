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
