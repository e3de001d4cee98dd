"""Live chat benchmark: messages through the chat consumer against a bare channel-layer floor.

Connects N anonymous listeners and one sender to a stream's chat
(``/ws/live/<id>/chat/``) through the real ASGI application (``config.asgi``) with
``channels.testing.WebsocketCommunicator``, on the in-memory channel layer and a private
copy of the tests' migrated SQLite database (or ``DATABASE_URL``). Prints, from the same
run: the floor (a bare ``group_send`` of the same room event to the same N channels,
each listener reading it from the layer), then the chat (the sender's message frame:
rules checked, stored, published for moderation, broadcast after commit, forwarded to
each socket), as messages per second and deliveries per second, the chat's p50/p95 time
from send to the last listener, and the ratio floor / chat. Ratios, not verdicts.

    .venv/bin/python bench/live_chat.py --listeners 100 --messages 200
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("EVENTS_RELAY_IN_PROCESS", "true")
os.environ.pop("REDIS_URL", None)  # the in-memory channel layer and cache


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def floor(listeners: int, messages: int) -> float:
    """Seconds to group_send ``messages`` room events to ``listeners`` channels and read them all."""
    from channels.layers import get_channel_layer

    from apps.live.services.rooms import room_message

    layer = get_channel_layer()
    group = "bench-floor"
    channels = [await layer.new_channel() for _ in range(listeners)]
    for channel in channels:
        await layer.group_add(group, channel)
    payload = {"id": "1", "text": "hello", "account": {"id": "1", "username": "bench"}}
    started = time.perf_counter()
    for _ in range(messages):
        await layer.group_send(group, room_message("message", payload))
        for channel in channels:
            await layer.receive(channel)
    elapsed = time.perf_counter() - started
    for channel in channels:
        await layer.group_discard(group, channel)
    return elapsed


async def through_chat(stream_id: int, token: str, listeners: int, messages: int):
    """Seconds for ``messages`` sent through the consumer to reach every listener, and each
    message's time from send to the last listener."""
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    async def connect(path: str) -> WebsocketCommunicator:
        socket = WebsocketCommunicator(
            application, path, headers=[(b"origin", b"http://localhost")]
        )
        connected, _detail = await socket.connect(timeout=30)
        assert connected
        assert (await socket.receive_json_from(timeout=30))["event"] == "history"
        return socket

    path = f"/ws/live/{stream_id}/chat/"
    readers = [await connect(path) for _ in range(listeners)]
    sender = await connect(f"{path}?access_token={token}")
    each: list[float] = []
    started = time.perf_counter()
    for n in range(messages):
        sent = time.perf_counter()
        await sender.send_json_to({"type": "message", "text": f"message {n}"})
        for reader in readers:
            event = await reader.receive_json_from(timeout=30)
            assert event["event"] == "message", event
        each.append(time.perf_counter() - sent)
        # the sender's own ack and message
        await sender.receive_json_from(timeout=30)
        await sender.receive_json_from(timeout=30)
    elapsed = time.perf_counter() - started
    for socket in [*readers, sender]:
        await socket.disconnect()
    return elapsed, each


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listeners", type=int, default=100)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    copy = None
    if not os.environ.get("DATABASE_URL"):
        from tests import db_template

        copy = db_template.private_copy()
        connections["default"].close()
        settings.DATABASES["default"]["NAME"] = str(copy)
        connections["default"].settings_dict["NAME"] = str(copy)
    # Not the rate limit under test: one sender sends as fast as it can.
    settings.LIVE_CHAT_DEFAULTS = {
        **settings.LIVE_CHAT_DEFAULTS,
        "rate_limit_messages": 10**9,
        "rate_limit_seconds": 1,
    }
    try:
        from oauth2_provider.models import get_access_token_model

        from apps.live.models import ChatMessage
        from apps.live.services import stream_create
        from tests.accounts.factories import AccessTokenFactory, UserFactory

        streamer, sender = UserFactory(), UserFactory()
        stream, _key = stream_create(account=streamer, title="bench")
        token = AccessTokenFactory(user=sender, scope="read write").token
        listeners, messages = args.listeners, args.messages
        print(f"{listeners} listeners, {messages} messages, in-memory channel layer, "
              f"{connections['default'].vendor}, {os.cpu_count()} CPUs")  # fmt: skip

        floor_seconds = asyncio.run(floor(listeners, messages))
        chat_seconds, each = asyncio.run(through_chat(stream.pk, token, listeners, messages))
        assert ChatMessage.objects.filter(stream=stream).count() == messages

        for name, seconds in (
            ("floor (bare group_send)", floor_seconds),
            ("chat consumer", chat_seconds),
        ):
            print(f"{name:26} {messages / seconds:9.1f} messages/s "
                  f"{messages * listeners / seconds:11.0f} deliveries/s")  # fmt: skip
        print(f"chat, send to last listener: p50 {percentile(each, 0.5) * 1000:.2f} ms, "
              f"p95 {percentile(each, 0.95) * 1000:.2f} ms, "
              f"mean {statistics.mean(each) * 1000:.2f} ms")  # fmt: skip
        print(f"ratio chat / floor (time per message): {chat_seconds / floor_seconds:.1f}x")
        get_access_token_model().objects.filter(token=token).delete()
    finally:
        if copy is not None:
            connections["default"].close()
            copy.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
