"""Live, measured: chat delivery to 1,000 WebSockets against a Redis pub/sub floor, and HLS delay.

From one run, on channels-redis (Redis database 11, ``redis://127.0.0.1:6379/11``, flushed
before and after: it is this bench's alone):

1. **Chat.** Agora's ASGI app runs in a real uvicorn subprocess (as ``deploy/Procfile.dev``
   starts it) with ``REDIS_URL`` set, so the channel layer is channels-redis, on a private
   copy of the tests' migrated SQLite template (or ``DATABASE_URL``, which must then be a
   migrated scratch database: the bench adds accounts and a stream to it). This process
   opens N (``--clients``, 1,000) real WebSocket clients (``websockets``, one asyncio loop)
   to ``/ws/live/<id>/chat/`` of one live public stream as anonymous readers, plus one
   signed-in sender, which sends M (``--messages``, 50) chat messages. Each message is sent
   ``--spacing`` (200 ms) after the previous one reached every reader (or timed out), so
   messages never queue behind each other; one more message is sent first, as a warm-up,
   and not counted. For every message and every reader the time from
   the sender's ``send`` to the reader's receipt of the frame (parsed from JSON) is one
   *delivery latency*; the time until the last reader has it is the message's *fan-out
   time*. Printed: p50/p95 of delivery latency over all N x M deliveries, p50/p95 of the
   fan-out time over the M messages, and *deliveries per second* = N x M / the sum of the
   fan-out times (the rate while a message is being delivered; the spacing is not counted).
   The chat's rate limit is lifted in the subprocess (``LIVE_CHAT_RATE_LIMIT_MESSAGES``): it
   is not what is measured. The consumer's work per message: the frame checked, the chat
   rules, the message stored (one transaction), the room event sent to the group after
   commit, channels-redis's group fan-out, and each socket's send. A reader whose socket
   the server closes mid-run (its consumer failed: uvicorn logs why) is counted in
   ``closed`` and its missing deliveries in ``lost``; the others go on. A closed sender
   reconnects and sends the message again (``resent``).
2. **Floor.** The same shape on raw Redis pub/sub: N ``redis.asyncio`` subscribers on one
   channel and one publisher, in this same process, the same M messages (the same JSON
   frame the chat sockets receive), the same spacing and the same timing and figures. The
   ratio Agora / floor is printed for p50, p95 and deliveries per second (for the last,
   floor / Agora, so that every ratio reads "times slower").
3. **HLS delay.** The real nginx with the RTMP module, configured from
   ``deploy/nginx-rtmp/`` (``bench/nginx_rtmp.py``, as ``bench/live_ingest.py`` uses it),
   and the ladder it starts. ffmpeg pushes ``--seconds`` (40) of a synthetic 720p30 source
   in real time (``-re``) with the frame number burnt into the picture as a 16-bit strip of
   black and white blocks. The source rung's playlist is polled every 50 ms over HTTP;
   each new segment is copied when first listed, and afterwards its first frame is decoded
   and its frame number read back. Its delay = the wall time it was first listed - (push
   start + frame number / 30), i.e. from the moment ffmpeg read the segment's first frame
   to the segment being listed: one segment's duration (2 s), the push encoder's and the
   ladder's buffering, and nginx-rtmp in between. Push start is when ffmpeg was started, so
   its own start-up (a fraction of a second) is counted in. The first segment (which starts
   wherever the ladder joined the stream) and the last (cut short when the push ends) are
   left out. p50/p95 over the segments.

The machine is shared: the load average is printed with the figures. Ratios, not verdicts.

    .venv/bin/python bench/live.py [--clients 1000] [--messages 50] [--seconds 40] [--skip-hls]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]

REDIS_URL = "redis://127.0.0.1:6379/11"
ORIGIN = "http://localhost"
FPS = 30
CODE_BITS, CODE_BLOCK = 16, 32  # the burnt-in frame number: 16 blocks of 32x32 pixels


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


# Fan-out: the shared measurement ----------------------------------------------------------


@dataclass
class FanOut:
    """Arrival times of M messages at N clients, against their send times."""

    clients: int
    messages: int
    sent: list[float] = field(default_factory=list)
    arrivals: list[list[float]] = field(default_factory=list)
    done: list[asyncio.Event] = field(default_factory=list)
    closed: int = 0  # clients whose connection the server closed
    resent: int = 0  # messages sent again on a new connection (the sender's was closed)

    def __post_init__(self) -> None:
        self.sent = [0.0] * self.messages
        self.arrivals = [[] for _ in range(self.messages)]
        self.done = [asyncio.Event() for _ in range(self.messages)]

    def client_closed(self) -> None:
        """A client lost its connection: messages are done once the others have them."""
        self.closed += 1
        for arrivals, done in zip(self.arrivals, self.done, strict=True):
            if len(arrivals) >= self.clients - self.closed:
                done.set()

    def received(self, frame: str | bytes) -> None:
        """One client got ``frame``: a chat ``message`` event whose text is ``bench <n>``."""
        data = json.loads(frame)
        if data.get("event") != "message":
            return
        n = int(data["payload"]["text"].split()[1])
        arrivals = self.arrivals[n]
        arrivals.append(time.perf_counter())
        if len(arrivals) >= self.clients - self.closed:
            self.done[n].set()

    async def run(self, send: Callable[[int], Awaitable[None]], spacing: float) -> None:
        for n in range(self.messages):
            self.sent[n] = time.perf_counter()
            await send(n)
            try:
                await asyncio.wait_for(self.done[n].wait(), timeout=10)
            except TimeoutError:
                pass
            await asyncio.sleep(spacing)

    def figures(self) -> dict[str, float]:
        """The figures over every message but the first (a warm-up: first use of each path)."""
        measured = list(enumerate(self.arrivals))[1:]
        latencies = [arrival - self.sent[n] for n, each in measured for arrival in each]
        fan_out = [max(each) - self.sent[n] for n, each in measured if each]
        delivered = len(latencies)
        return {
            "p50": percentile(latencies, 0.5),
            "p95": percentile(latencies, 0.95),
            "last_p50": percentile(fan_out, 0.5),
            "last_p95": percentile(fan_out, 0.95),
            "rate": delivered / sum(fan_out) if fan_out else 0.0,
            "lost": self.clients * (self.messages - 1) - delivered,
            "closed": self.closed,
            "resent": self.resent,
        }


def frame_text(n: int) -> str:
    return f"bench {n}"


# Agora: uvicorn, channels-redis, real WebSockets -------------------------------------------


def prepare_stream() -> tuple[int, str]:
    """A live public stream and a signed-in sender's token, in the bench's database."""
    from apps.live.services import ingest_publish, live_allow, stream_create
    from tests.accounts.factories import AccessTokenFactory, UserFactory

    streamer = UserFactory()
    live_allow(account=streamer, actor="bench")
    _stream, key = stream_create(account=streamer, title="bench")
    stream = ingest_publish(key=key)
    token = AccessTokenFactory(user=UserFactory(), scope="read write").token
    return stream.pk, token


def uvicorn_start(port: int) -> subprocess.Popen:
    """Agora's ASGI app as deploy/Procfile.dev runs it, with this process's environment."""
    env = {
        **os.environ,
        # Not what is measured: one sender sends 50 messages in about 10 s.
        "LIVE_CHAT_RATE_LIMIT_MESSAGES": str(10**9),
        "LIVE_CHAT_RATE_LIMIT_SECONDS": "1",
    }
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--app-dir", "platform",
         "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off",
         "--no-proxy-headers", "--log-level", "warning", "--timeout-graceful-shutdown", "5"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("uvicorn exited: see its output above")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("uvicorn did not start in 120 s")


async def through_agora(
    port: int, stream_id: int, token: str, clients: int, messages: int, spacing: float
) -> dict[str, float]:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    url = f"ws://127.0.0.1:{port}/ws/live/{stream_id}/chat/"
    fan_out = FanOut(clients, messages + 1)
    errors: list[str] = []

    async def opened(path: str):
        socket = await connect(
            path, origin=ORIGIN, proxy=None, open_timeout=120, ping_interval=None,
            max_queue=None,
        )  # fmt: skip
        assert json.loads(await socket.recv())["event"] == "history"
        return socket

    readers = []
    for start in range(0, clients, 50):
        readers += await asyncio.gather(*[opened(url) for _ in range(min(50, clients - start))])
    sender = await opened(f"{url}?access_token={token}")

    finishing = False

    async def read(socket) -> None:
        try:
            async for frame in socket:
                fan_out.received(frame)
        except ConnectionClosed:
            pass
        if not finishing:
            fan_out.client_closed()

    async def drain(socket) -> None:
        with suppress(ConnectionClosed):
            async for frame in socket:
                if json.loads(frame)["event"] == "error":
                    errors.append(str(frame))

    tasks = [asyncio.create_task(read(socket)) for socket in readers]
    senders = [sender]
    tasks.append(asyncio.create_task(drain(sender)))

    async def send(n: int) -> None:
        frame = json.dumps({"type": "message", "text": frame_text(n)})
        try:
            await senders[-1].send(frame)
        except ConnectionClosed:  # the server closed it: a new one, counted
            senders.append(await opened(f"{url}?access_token={token}"))
            tasks.append(asyncio.create_task(drain(senders[-1])))
            fan_out.resent += 1
            await senders[-1].send(frame)

    try:
        await fan_out.run(send, spacing)
    finally:
        finishing = True
        for socket in [*readers, *senders]:
            await socket.close()
        await asyncio.gather(*tasks, return_exceptions=True)
    if errors:
        raise SystemExit(f"the chat refused a message: {errors[0]}")
    return fan_out.figures()


# The floor: raw Redis pub/sub ---------------------------------------------------------------


async def through_redis(clients: int, messages: int, spacing: float) -> dict[str, float]:
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL, max_connections=clients + 16)
    channel = f"bench-live-floor-{uuid.uuid4().hex}"  # pub/sub channels are not per database
    fan_out = FanOut(clients, messages + 1)
    subscribers = []
    for _ in range(clients):
        pubsub = client.pubsub()
        await pubsub.subscribe(channel)
        subscribers.append(pubsub)
    for pubsub in subscribers:  # each subscription confirmed
        while (await pubsub.get_message(timeout=10)) is None:
            pass

    async def read(pubsub) -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                fan_out.received(message["data"])

    tasks = [asyncio.create_task(read(pubsub)) for pubsub in subscribers]
    account = {"id": "1", "username": "bench", "display_name": "", "avatar": None}

    async def send(n: int) -> None:
        # The frame a chat socket gets for a message (same shape and size, give or take).
        payload = {"id": str(10**17 + n), "text": frame_text(n), "account": account,
                   "created_at": "2026-01-01T00:00:00.000Z", "reply_to_id": None}  # fmt: skip
        await client.publish(channel, json.dumps({"event": "message", "payload": payload}))

    try:
        await fan_out.run(send, spacing)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for pubsub in subscribers:
            await pubsub.aclose()
        await client.aclose()
    return fan_out.figures()


# HLS delay ----------------------------------------------------------------------------------


def frame_code_filter() -> str:
    """ffmpeg filters burning the frame number ``n`` into the picture's top-left corner."""
    strip = f"drawbox=x=0:y=0:w={CODE_BITS * CODE_BLOCK}:h={CODE_BLOCK}:color=black:t=fill"
    bits = [
        f"drawbox=x={b * CODE_BLOCK}:y=0:w={CODE_BLOCK}:h={CODE_BLOCK}:color=white:t=fill"
        f":enable='mod(floor(n/{2**b}),2)'"
        for b in range(CODE_BITS)
    ]
    return ",".join([strip, *bits])


def frame_number(segment: Path) -> int:
    """The burnt-in frame number of ``segment``'s first frame."""
    width = CODE_BITS * CODE_BLOCK
    pixels = subprocess.run(  # noqa: S603
        ["ffmpeg", "-v", "error", "-i", str(segment), "-frames:v", "1",
         "-vf", f"crop={width}:{CODE_BLOCK}:0:0,format=gray", "-f", "rawvideo", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    number = 0
    middle = CODE_BLOCK // 2
    for b in range(CODE_BITS):
        if pixels[middle * width + b * CODE_BLOCK + middle] > 128:
            number |= 1 << b
    return number


def hls_delay(seconds: int) -> list[float]:
    """Seconds from each segment's first frame read by the pushing ffmpeg to the segment
    listed in the source rung's playlist."""
    from bench.nginx_rtmp import NAME, nginx_running, push, status

    listed: dict[str, tuple[float, Path]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="live-bench-segments-") as kept,
        nginx_running() as nginx,
    ):
        started = time.monotonic()
        pusher = push(nginx, seconds, video_filter=frame_code_filter())
        playlist = f"{nginx.hls_url}/source/index.m3u8"
        directory = nginx.hls_dir / NAME / "source"
        while pusher.poll() is None:
            code, text = status(playlist)
            if code == 200:
                now = time.monotonic()
                for name in re.findall(r"^(seg_\d+\.ts)$", text, re.MULTILINE):
                    if name not in listed:
                        copy = Path(kept) / name
                        shutil.copyfile(directory / name, copy)
                        listed[name] = (now, copy)
            time.sleep(0.05)
        delays = []
        for name in sorted(listed)[1:-1]:
            at, copy = listed[name]
            delays.append(at - (started + frame_number(copy) / FPS))
    if not delays:
        raise SystemExit("no segment was listed: see nginx's log")
    return delays


# Main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000, help="WebSocket readers")
    parser.add_argument("--messages", type=int, default=50, help="chat messages sent")
    parser.add_argument("--spacing", type=float, default=0.2, help="seconds between messages")
    parser.add_argument("--seconds", type=int, default=40, help="length of the HLS push")
    parser.add_argument("--skip-hls", action="store_true", help="chat and floor only")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 3 * args.clients + 256  # each reader: a socket here, one in uvicorn, one to Redis
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))

    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="true",
        LOG_LEVEL="WARNING",
        REDIS_URL=REDIS_URL,
        # Events go to a broker in memory (nothing left in Redis); no worker is measured.
        CELERY_BROKER_URL="memory://",
        CELERY_TASK_ALWAYS_EAGER="false",
        EVENTS_RELAY_IN_PROCESS="false",
    )
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.ConnectionError:
        raise SystemExit(f"bench/live.py needs Redis at {REDIS_URL}") from None

    import django

    from bench.nginx_rtmp import free_port

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
        os.environ["DATABASE_URL"] = f"sqlite:///{copy}"  # for uvicorn

    server = None
    try:
        stream_id, token = prepare_stream()
        vendor = connections["default"].vendor
        connections.close_all()
        port = free_port()
        server = uvicorn_start(port)
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"live: {args.clients} WebSocket clients, {args.messages} messages "
              f"{args.spacing * 1000:.0f} ms apart; channels-redis, {vendor}, uvicorn (1 worker); "
              f"{os.cpu_count()} cores, load {load}", flush=True)  # fmt: skip
        agora = asyncio.run(
            through_agora(port, stream_id, token, args.clients, args.messages, args.spacing)
        )
        server.terminate()
        server.wait(timeout=30)
        server = None
        floor = asyncio.run(through_redis(args.clients, args.messages, args.spacing))
        ms = 1000
        print(f"{'':28}{'p50':>9}{'p95':>9}{'last p50':>10}{'last p95':>10}"
              f"{'deliveries/s':>14}{'lost':>6}{'closed':>8}{'resent':>8}")  # fmt: skip
        for name, figures in (
            ("Agora chat (channels-redis)", agora),
            ("floor: Redis pub/sub", floor),
        ):
            print(f"{name:28}{figures['p50'] * ms:7.1f}ms{figures['p95'] * ms:7.1f}ms"
                  f"{figures['last_p50'] * ms:8.1f}ms{figures['last_p95'] * ms:8.1f}ms"
                  f"{figures['rate']:14,.0f}{figures['lost']:6d}"
                  f"{figures['closed']:8d}{figures['resent']:8d}")  # fmt: skip
        print(f"{'ratio Agora / floor':28}{agora['p50'] / floor['p50']:8.1f}x"
              f"{agora['p95'] / floor['p95']:8.1f}x{agora['last_p50'] / floor['last_p50']:9.1f}x"
              f"{agora['last_p95'] / floor['last_p95']:9.1f}x"
              f"{floor['rate'] / agora['rate']:13.1f}x  (floor / Agora)")  # fmt: skip
        print(
            "(p50/p95: each delivery, send -> one client; last: send -> the last client;\n"
            " lost: deliveries missing; closed: clients the server disconnected mid-run;\n"
            " resent: messages sent again after the server closed the sender's socket)"
        )
        if not args.skip_hls:
            delays = hls_delay(args.seconds)
            print(f"HLS delay, ffmpeg's first frame of a segment -> listed in the source "
                  f"playlist ({len(delays)} segments): p50 {percentile(delays, 0.5):.2f} s, "
                  f"p95 {percentile(delays, 0.95):.2f} s")  # fmt: skip
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        connections.close_all()
        redis.Redis.from_url(REDIS_URL).flushdb()
        if copy is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
