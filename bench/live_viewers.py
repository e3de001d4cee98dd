"""Live viewers: heartbeats per second through the API against the bare Redis work they need.

Prints, from the same run, on the same Redis:

1. the floor: the Redis work of one heartbeat sent straight from redis-py (one pipeline:
   ZADD, EXPIRE, SADD, EXPIRE, ZCOUNT), heartbeats per second;
2. anonymous players' heartbeats through Django's whole request handling
   (``POST /api/agora/v1/live/streams/:id/heartbeat``: middleware, authentication, the
   stream's visibility check, the Redis pipeline), per second, and the ratio floor / API;
3. signed-in viewers' heartbeats the same way (their watch time row locked, updated and its
   event stored and handed to the broker, an in-memory one here: billing's handler runs in
   the worker and is not measured), per second, with SQL queries per heartbeat (with
   BEGIN and COMMIT) and the ratio floor / API;
4. the periodic fold (``live.viewer_counts``) for 100 live streams of 100 viewers each.

Needs Redis (``REDIS_URL``); only the ``live:*`` keys of the streams it creates are touched
(and deleted). The database is a private copy of the tests' migrated SQLite template (or
``DATABASE_URL``, which must then be a migrated scratch database)::

    REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/live_viewers.py [--beats 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The heartbeat's own work: its events are handed to the broker (here one in memory, so
# nothing is left behind) for the worker, whose billing handler is not measured.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
os.environ["EVENTS_RELAY_IN_PROCESS"] = "false"
os.environ["CELERY_BROKER_URL"] = "memory://"

SIGNED_IN_VIEWERS = 200


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def live_stream(title: str):
    from apps.live.services import ingest_publish, live_allow, stream_create
    from tests.accounts.factories import UserFactory

    account = UserFactory()
    live_allow(account=account, actor="bench")
    _stream, key = stream_create(account=account, title=title)
    return ingest_publish(key=key)


def floor(beats: int) -> float:
    """Heartbeats per second of the bare Redis pipeline one heartbeat needs."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    viewers, uniques = "live:viewers:bench-floor", "live:uniques:bench-floor"
    try:
        started = time.perf_counter()
        for n in range(beats):
            now = time.time()
            pipe = client.pipeline(transaction=False)
            pipe.zadd(viewers, {f"anon:bench-player-{n:06d}": now})
            pipe.expire(viewers, 90)
            pipe.sadd(uniques, f"anon:bench-player-{n:06d}")
            pipe.expire(uniques, 172800)
            pipe.zcount(viewers, now - 45, "+inf")
            pipe.execute()
        return rate(beats, time.perf_counter() - started)
    finally:
        client.delete(viewers, uniques)


def through_api(beats: int) -> tuple[float, float, float]:
    """(anonymous heartbeats/s, signed-in heartbeats/s, SQL queries per signed-in heartbeat)."""
    from django.db import connection
    from django.test import Client

    from apps.live.services import viewers
    from tests.accounts.factories import AccessTokenFactory, UserFactory

    stream = live_stream("bench")
    url = f"/api/agora/v1/live/streams/{stream.pk}/heartbeat"
    client = Client()
    try:
        started = time.perf_counter()
        for n in range(beats):
            answer = client.post(
                url, {"viewer_id": f"bench-player-{n:06d}"}, content_type="application/json"
            )
            assert answer.status_code == 200, answer.content
        anonymous = rate(beats, time.perf_counter() - started)

        tokens = [
            AccessTokenFactory(user=UserFactory(), scope="read").token
            for _ in range(SIGNED_IN_VIEWERS)
        ]
        headers = [{"HTTP_AUTHORIZATION": f"Bearer {token}"} for token in tokens]
        for header in headers:  # each viewer's first heartbeat starts its clock
            client.post(url, {}, content_type="application/json", **header)
        executed = [0]

        def counted(execute, sql, params, many, context):
            executed[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            started = time.perf_counter()
            for n in range(beats):
                header = headers[n % len(headers)]
                answer = client.post(url, {}, content_type="application/json", **header)
                assert answer.status_code == 200, answer.content
            signed_in = rate(beats, time.perf_counter() - started)
        return anonymous, signed_in, executed[0] / beats
    finally:
        viewers.viewer_store().clear(stream.pk)


def fold(streams: int, per_stream: int) -> float:
    """Seconds of one periodic fold over ``streams`` live streams of ``per_stream`` viewers."""
    from apps.live.models import Stream
    from apps.live.services import viewers

    made = [live_stream(f"fold {n}") for n in range(streams)]
    try:
        for stream in made:
            for n in range(per_stream):
                viewers.viewer_seen(stream.pk, f"a:{n + 1}")
        Stream.objects.exclude(pk__in=[s.pk for s in made]).filter(state=Stream.State.LIVE).update(
            state=Stream.State.ENDED
        )
        started = time.perf_counter()
        told = viewers.viewer_counts_fold()
        seconds = time.perf_counter() - started
        assert told == streams, told
        return seconds
    finally:
        for stream in made:
            viewers.viewer_store().clear(stream.pk)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--beats", type=int, default=2000, help="heartbeats per measurement")
    beats = parser.parse_args().beats
    if not os.environ.get("REDIS_URL", "").startswith("redis://"):
        sys.exit("bench/live_viewers.py needs Redis: set REDIS_URL=redis://...")

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
    from django.core import signals
    from django.db import close_old_connections, reset_queries

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.request_started.disconnect(reset_queries)
    settings.AGORA_THROTTLE_ENABLED = False
    settings.ALLOWED_HOSTS = ["*"]
    settings.LIVE_CALLBACK_SECRET = "bench"  # noqa: S105
    try:
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"database: {connections['default'].vendor}; {os.cpu_count()} cores; load {load}")
        bare = floor(beats)
        anonymous, signed_in, queries = through_api(beats)
        print(f"{beats:,} heartbeats each")
        print(f"  bare Redis pipeline (floor)     {bare:9,.0f} /s")
        print(
            f"  API, anonymous players          {anonymous:9,.0f} /s   floor / API {bare / anonymous:5.1f}"
        )
        print(
            f"  API, signed-in viewers          {signed_in:9,.0f} /s   floor / API "
            f"{bare / signed_in:5.1f}   ({queries:.1f} SQL queries each)"
        )
        seconds = fold(100, 100)
        print(f"  periodic fold, 100 streams x 100 viewers: {seconds * 1000:.0f} ms")
    finally:
        connections["default"].close()
        if copy is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
