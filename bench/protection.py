"""The pile-on detector: interactions per second per core against the bare Redis work it
needs, and the delay from the reply that tips a pile-on to the shield being up.

Prints, from the same run, on the same Redis, in one process (one core):

1. the floor: the Redis commands one interaction needs, sent straight from redis-py as a
   plain pipeline (ZADD x3, ZREMRANGEBYSCORE x3, EXPIRE x4, ZCARD x3, HINCRBY, HGETALL),
   one interaction per round trip and 256 per round trip;
2. the detector (``RedisDetectorStore.record`` and :func:`is_pile_on`): its script, the
   same ways; and the ratio floor / detector;
3. protection's whole handler (``interactions_observe``: the statuses, mentions, quotes,
   follows, talks and active shields read from the database, trust, the detector), over
   batches of 256 replies from strangers, interactions per second;
4. the delay from creating the reply that crosses the threshold to the shield being on:
   the status written, ``ContentPublished`` relayed, moderation's assessment (the
   learned text model and the rules), ``ContentAssessed`` relayed, the detector, the
   shield raised with its mutes, events and notification — p50 and p95 over ``--trials``
   pile-ons. Events are relayed in this process right after commit and Celery runs
   eagerly, so broker hops are not in it (each is a Redis round trip in production);
   moderation assesses each status as it comes (batches of 1).

Needs Redis (``REDIS_URL``); only the ``{prot:*}`` and ``bench:prot:*`` keys it makes are
touched (and deleted). The database is a private copy of the tests' migrated SQLite
template (or ``DATABASE_URL``, a migrated scratch database)::

    REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/protection.py [--interactions 20000]
"""

from __future__ import annotations

import argparse
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
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ["EVENTS_RELAY_IN_PROCESS"] = "true"
os.environ["CELERY_BROKER_URL"] = "memory://"

BATCH = 256
ACCOUNTS = 500  # recipients the interactions spread over


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def floor(interactions: int, *, batch: int) -> float:
    """Interactions per second of the bare Redis commands, ``batch`` per round trip."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    window = settings.PROTECTION_PILE_ON_WINDOW_SECONDS
    keys = []
    try:
        started = time.perf_counter()
        sent = 0
        while sent < interactions:
            pipe = client.pipeline(transaction=False)
            for n in range(sent, min(sent + batch, interactions)):
                now = time.time()
                tag = f"bench:prot:{n % ACCOUNTS}"
                strangers, hostile, weak, days = (f"{tag}:{k}" for k in ("s", "h", "w", "d"))
                keys.extend([strangers, hostile, weak, days])
                sender = n
                pipe.zadd(strangers, {sender: now})
                if n % 2:
                    pipe.zadd(hostile, {sender: now})
                    pipe.zadd(weak, {sender: now})
                    pipe.hincrby(days, int(now // 86400), 1)
                    pipe.expire(days, 15 * 86400)
                for key in (strangers, hostile, weak):
                    pipe.zremrangebyscore(key, "-inf", f"({now - window}")
                    pipe.expire(key, window)
                    pipe.zcard(key)
                pipe.hgetall(days)
            pipe.execute()
            sent += batch
        return rate(interactions, time.perf_counter() - started)
    finally:
        for start in range(0, len(set(keys)), 1000):
            client.delete(*sorted(set(keys))[start : start + 1000])


def script_rate(interactions: int, *, batch: int) -> float:
    """Interactions per second of the detector's script alone, its arguments made ahead."""
    import redis
    from django.conf import settings

    from apps.protection import detector

    client = redis.Redis.from_url(settings.REDIS_URL)
    script = client.register_script(detector.RECORD_SCRIPT)
    window = settings.PROTECTION_PILE_ON_WINDOW_SECONDS
    base = 20_000_000
    now = time.time()
    calls = [
        (
            detector._keys(base + n % ACCOUNTS),
            [repr(now), window, n, n % 2, n % 2, int(now // 86400), detector.BASELINE_DAYS],
        )
        for n in range(interactions)
    ]
    try:
        started = time.perf_counter()
        for start in range(0, interactions, batch):
            pipe = client.pipeline(transaction=False)
            for keys, args in calls[start : start + batch]:
                script(keys=keys, args=args, client=pipe)
            pipe.execute()
        return rate(interactions, time.perf_counter() - started)
    finally:
        for n in range(ACCOUNTS):
            client.delete(*detector._keys(base + n))


def detector_rate(interactions: int, *, batch: int) -> float:
    """Interactions per second through the detector's store and decision."""
    from apps.protection import detector

    store = detector.detector_store()
    assert isinstance(store, detector.RedisDetectorStore), store
    base = 10_000_000
    try:
        started = time.perf_counter()
        sent = 0
        while sent < interactions:
            now = time.time()
            observations = [
                detector.Observation(
                    account_id=base + n % ACCOUNTS,
                    sender_id=n,
                    hostility=0.9 if n % 2 else 0.1,
                    weak_sender=bool(n % 2),
                    at=now,
                )
                for n in range(sent, min(sent + batch, interactions))
            ]
            for window in store.record(observations):
                detector.is_pile_on(window)
            sent += batch
        return rate(interactions, time.perf_counter() - started)
    finally:
        for n in range(ACCOUNTS):
            store.clear(base + n)


def handler_rate(batches: int) -> tuple[float, int]:
    """(interactions per second through ``interactions_observe``, SQL queries per batch)."""
    from django.db import connection

    from apps.feed import services
    from apps.protection import detector
    from apps.protection.services.pile_ons import interactions_observe
    from tests.accounts.factories import UserFactory

    recipients = [UserFactory() for _ in range(8)]
    posts = [services.status_create(author=r, text="a post") for r in recipients]
    senders = [UserFactory() for _ in range(BATCH)]
    assessed = []
    for n, sender in enumerate(senders):
        post = posts[n % len(posts)]
        reply = services.status_create(
            author=sender,
            text=f"@{post.account.username} a reply {n}",
            in_reply_to_id=post.pk,
        )
        assessed.append((reply.pk, sender.pk, 0.1))
    executed = [0]

    def counted(execute, sql, params, many, context):
        executed[0] += 1
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(counted):
            started = time.perf_counter()
            for _ in range(batches):
                interactions_observe(content_type="status", assessed=assessed)
            seconds = time.perf_counter() - started
        return rate(batches * BATCH, seconds), executed[0] // batches
    finally:
        for recipient in recipients:
            detector.detector_store().clear(recipient.pk)


def delays(trials: int) -> tuple[list[float], list[float]]:
    """Seconds from creating the tipping reply to the shield being on, per pile-on; and,
    the baseline, seconds the same path takes for the hostile reply just before it (it
    is written, relayed, assessed and counted, and tips nothing)."""
    from django.conf import settings

    from apps.feed import services
    from apps.protection import detector
    from apps.protection.models import Shield
    from tests.accounts.factories import UserFactory

    hostile = [
        "you are a worthless fucking idiot",
        "shut up you stupid bitch",
        "what a pathetic moron you are, fuck off",
        "nobody cares you dumb piece of shit",
        "go to hell you fucking loser",
    ]
    needed = int(settings.PROTECTION_PILE_ON_THRESHOLD)
    seconds = []
    before = []
    for trial in range(trials):
        victim = UserFactory()
        post = services.status_create(author=victim, text="my opinion")
        mob = [UserFactory() for _ in range(needed)]
        try:
            for n, sender in enumerate(mob[:-1]):
                started = time.perf_counter()
                services.status_create(
                    author=sender,
                    text=f"@{victim.username} {hostile[n % len(hostile)]} {trial}.{n}",
                    in_reply_to_id=post.pk,
                )
            before.append(time.perf_counter() - started)
            assert not Shield.objects.filter(account=victim).exists(), "raised too early"
            started = time.perf_counter()
            services.status_create(
                author=mob[-1],
                text=f"@{victim.username} {hostile[0]} and the last one {trial}",
                in_reply_to_id=post.pk,
            )
            assert Shield.objects.active().filter(account=victim).exists(), "no shield"
            seconds.append(time.perf_counter() - started)
        finally:
            detector.detector_store().clear(victim.pk)
    return seconds, before


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--interactions", type=int, default=20_000)
    parser.add_argument("--trials", type=int, default=40, help="pile-ons for the delay")
    arguments = parser.parse_args()
    if not os.environ.get("REDIS_URL", "").startswith("redis://"):
        sys.exit("bench/protection.py needs Redis: set REDIS_URL=redis://...")

    import django

    django.setup()
    from django.conf import settings
    from django.db import connections
    from waffle.models import Flag

    copy = None
    if not os.environ.get("DATABASE_URL"):
        from tests import db_template

        copy = db_template.private_copy()
        connections["default"].close()
        settings.DATABASES["default"]["NAME"] = str(copy)
        connections["default"].settings_dict["NAME"] = str(copy)
    settings.MODERATION_BATCH_SIZE = 1
    from core import flags

    for name in (flags.AI_MODERATION, flags.HUMAN_REVIEW_QUEUE):
        Flag.objects.update_or_create(name=name, defaults={"everyone": True})
    try:
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"database: {connections['default'].vendor}; {os.cpu_count()} cores; load {load}")
        n = arguments.interactions
        print(f"{n:,} interactions each, over {ACCOUNTS} recipients, half of them hostile")
        for batch in (1, BATCH):
            bare = floor(n, batch=batch)
            alone = script_rate(n, batch=batch)
            ours = detector_rate(n, batch=batch)
            print(
                f"  {batch:>3} per round trip: the commands from redis-py {bare:9,.0f} /s   "
                f"the script alone {alone:9,.0f} /s   detector {ours:9,.0f} /s   "
                f"script / detector {alone / ours:4.2f}   commands / detector {bare / ours:4.2f}"
            )
        through, queries = handler_rate(max(4, n // BATCH // 10))
        print(
            f"  whole handler (interactions_observe), batches of {BATCH}: {through:9,.0f} /s"
            f"   ({queries} SQL queries a batch)"
        )
        measured, baseline = delays(arguments.trials)
        for label, values in (
            ("tipping reply -> shield on", measured),
            ("the reply before (tips nothing)", baseline),
        ):
            print(
                f"{label:>32}, {len(values)} pile-ons: "
                f"p50 {percentile(values, 0.5) * 1000:6.1f} ms   "
                f"p95 {percentile(values, 0.95) * 1000:6.1f} ms   "
                f"(mean {statistics.mean(values) * 1000:.1f} ms)"
            )
        print(
            f"  p50 ratio tipping / ordinary: "
            f"{percentile(measured, 0.5) / percentile(baseline, 0.5):.2f}"
        )
    finally:
        connections["default"].close()
        if copy is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
