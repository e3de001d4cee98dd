"""Home timeline benchmark: the feed store against a naive database query and the floor.

Generates accounts with a power-law follow graph and statuses on PostgreSQL
(``DATABASE_URL``, a database of its own: the bench empties it) and Redis
(``REDIS_URL``: only the ``feed:*`` keys are touched), then prints, measured in
the same run: the home timeline page latency through the API with its SQL query
count, a naive database query for the same page, the floor (one Redis range read
plus one SQL fetch of those ids), and fan-out throughput for an author followed by
every account. Ratios, not verdicts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/feed.py --small
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")

SIZES = {"full": (10_000, 1_000_000), "small": (1_000, 20_000)}
VIEWERS = 40
REQUESTS_PER_VIEWER = 5


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def millis(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5) * 1000:7.2f} ms  p95 {percentile(values, 0.95) * 1000:7.2f} ms"


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def generate(accounts: int, statuses: int, rng: random.Random) -> tuple[list[int], int]:
    """Fill the database: accounts, follows (power law), statuses. Returns (ids, celebrity)."""
    from django.db import connection

    from core.ids import generate_id

    now = datetime.now(tz=UTC)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_user RESTART IDENTITY CASCADE")
        user_columns = [
            "id", "password", "is_superuser", "first_name", "last_name", "is_staff", "is_active",
            "date_joined", "username", "display_name", "note", "avatar", "header", "locked",
            "bot", "discoverable", "fields", "locale", "default_privacy", "default_sensitive",
            "default_language", "updated_at", "followers_count", "following_count",
            "statuses_count",
        ]  # fmt: skip
        user_rows = (
            [generate_id(), "!", False, "", "", False, True, now, f"bench{i}", "", "", "", "", False,
             False, True, "[]", "", "public", False, "", now, 0, 0, 0]
            for i in range(accounts + 1)
        )  # fmt: skip
        copy_rows(cursor.connection.cursor(), "accounts_user", user_columns, user_rows)
        cursor.execute("SELECT id FROM accounts_user ORDER BY id")
        ids = [row[0] for row in cursor.fetchall()]
        celebrity, ids = ids[0], ids[1:]

        # Popularity follows a power law; every account follows the celebrity.
        weights = list(itertools.accumulate(1 / (rank + 1) ** 1.1 for rank in range(accounts)))
        follows = set()
        for follower_index, follower in enumerate(ids):
            degree = min(accounts - 1, int(10 / (rng.random() ** 0.7)))
            for _ in range(degree):
                target_index = bisect.bisect(weights, rng.random() * weights[-1])
                if target_index != follower_index and target_index < accounts:
                    follows.add((follower, ids[target_index]))
        follows.update((follower, celebrity) for follower in ids)
        copy_rows(
            cursor.connection.cursor(),
            "feed_follow",
            ["account_id", "target_id", "created_at", "show_reblogs", "notify"],
            ((a, t, now, True, False) for a, t in follows),
        )

        # Statuses over the last 30 days, authors by the same power law.
        start_ms = int((now - timedelta(days=30)).timestamp() * 1000)
        span_ms = 30 * 24 * 3600 * 1000
        stamps = sorted(rng.randrange(span_ms) for _ in range(statuses))
        status_columns = [
            "id", "created_at", "updated_at", "account_id", "text", "content", "spoiler_text",
            "sensitive", "language", "visibility", "application_name", "moderation_state",
            "moderation_reason", "favourites_count", "reblogs_count", "replies_count",
        ]  # fmt: skip
        visibilities = ["public"] * 8 + ["unlisted", "private"]

        def status_rows():
            for sequence, offset in enumerate(stamps):
                millis_ = start_ms + offset
                created = datetime.fromtimestamp(millis_ / 1000, tz=UTC)
                author = ids[bisect.bisect(weights, rng.random() * weights[-1]) % accounts]
                yield [
                    (millis_ << 16) | (sequence & 0xFFFF), created, created, author,
                    "bench status", "<p>bench status</p>", "", False, "en",
                    rng.choice(visibilities), "", "visible", "", 0, 0, 0,
                ]  # fmt: skip

        copy_rows(cursor.connection.cursor(), "feed_status", status_columns, status_rows())
        cursor.execute(
            "UPDATE accounts_user u SET followers_count = c.n FROM "
            "(SELECT target_id, count(*) n FROM feed_follow GROUP BY target_id) c "
            "WHERE u.id = c.target_id"
        )
        cursor.execute("ANALYZE")
    return ids, celebrity


def clear_feed_keys() -> None:
    from apps.feed import fanout

    client = fanout.client()
    batch = []
    for key in client.scan_iter(match="feed:*", count=5000):
        batch.append(key)
        if len(batch) >= 5000:
            client.delete(*batch)
            batch = []
    if batch:
        client.delete(*batch)


def bearer_for(user) -> str:
    from oauth2_provider.models import get_access_token_model, get_application_model

    application, _created = get_application_model().objects.get_or_create(
        name="bench",
        defaults={
            "client_type": "confidential",
            "authorization_grant_type": "password",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
        },
    )
    token = get_access_token_model().objects.create(
        user=user,
        application=application,
        token=f"bench-{user.pk}-{random.getrandbits(64)}",
        expires=datetime.now(tz=UTC) + timedelta(days=1),
        scope="read write follow",
    )
    return token.token


def serve(*, pool_size: int) -> tuple[subprocess.Popen, int]:
    """uvicorn serving the platform as deploy/Dockerfile runs it (production settings,
    one worker), with DATABASE_POOL_MAX_SIZE=pool_size. Returns (process, port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": f"bench-{random.getrandbits(128):032x}",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_POOL_MAX_SIZE": str(pool_size),
        "LOG_LEVEL": "WARNING",
    }
    # Production settings serve hashed static files (the Dockerfile collects them).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--app-dir", "platform",
         "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off", "--log-level", "warning",
         "--no-access-log"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            probe = HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    sys.exit(f"uvicorn did not answer /healthz within 60 s (exit code {process.poll()})")


def over_http(*, pool_size: int, tokens: list[str], rounds: int) -> list[float]:
    """Home timeline page latencies over one keep-alive HTTP connection to uvicorn."""
    process, port = serve(pool_size=pool_size)
    try:
        connection = HTTPConnection("127.0.0.1", port, timeout=30)
        latencies = []
        for round_ in range(rounds + 1):
            for token in tokens:
                began = time.perf_counter()
                connection.request(
                    "GET", "/api/v1/timelines/home", headers={"Authorization": f"Bearer {token}"}
                )
                response = connection.getresponse()
                body = response.read()
                if round_:  # the first round warms the process up
                    latencies.append(time.perf_counter() - began)
                assert response.status == 200, body[:200]
        return latencies
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="1,000 accounts, 20,000 statuses")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("bench/feed.py needs DATABASE_URL=postgres://... (a database of its own)")
    if not os.environ.get("REDIS_URL", "").startswith("redis://"):
        sys.exit("bench/feed.py needs REDIS_URL=redis://...")

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apps.feed import fanout, selectors
    from apps.feed.models import Follow, Status
    from core.pagination import PageParams

    accounts, statuses = SIZES["small" if options.small else "full"]
    rng = random.Random(options.seed)
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    ids, celebrity = generate(accounts, statuses, rng)
    clear_feed_keys()
    print(
        f"generated {accounts:,} accounts (+1 followed by all), "
        f"{Follow.objects.count():,} follows, {statuses:,} statuses "
        f"in {time.perf_counter() - started:.1f}s"
    )

    User = get_user_model()
    viewers = list(User.objects.filter(pk__in=rng.sample(ids, VIEWERS)))
    started = time.perf_counter()
    for viewer in viewers:
        fanout.mark_active([viewer.pk])
        fanout.rebuild(viewer=viewer)
    rebuild_seconds = (time.perf_counter() - started) / len(viewers)

    client = Client(HTTP_HOST="localhost")
    tokens = {viewer.pk: bearer_for(viewer) for viewer in viewers}
    api, api_queries, selector, naive, floor = [], [], [], [], []
    params = PageParams(max_id=None, since_id=None, min_id=None, limit=20)
    redis_client = fanout.client()
    for _round in range(REQUESTS_PER_VIEWER):
        for viewer in viewers:
            auth = f"Bearer {tokens[viewer.pk]}"
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get("/api/v1/timelines/home", HTTP_AUTHORIZATION=auth)
                api.append(time.perf_counter() - began)
            assert response.status_code == 200, response.content[:200]
            api_queries.append(len(queries))

            began = time.perf_counter()
            selectors.home_timeline(viewer=viewer, params=params)
            selector.append(time.perf_counter() - began)

            began = time.perf_counter()
            followed = Follow.objects.filter(account=viewer).values("target")
            list(Status.objects.filter(account__in=followed).order_by("-id")[:20])
            naive.append(time.perf_counter() - began)

            began = time.perf_counter()
            page_ids = redis_client.zrevrangebyscore(
                fanout.feed_key(viewer.pk), "+inf", "-inf", start=0, num=20
            )
            list(Status.objects.filter(pk__in=[int(i) for i in page_ids]).select_related("account"))
            floor.append(time.perf_counter() - began)

    # The same pages over HTTP from uvicorn, as a client sees them: with the database
    # connection pool (the default) and with a new connection per request.
    http_pooled = over_http(pool_size=4, tokens=list(tokens.values()), rounds=REQUESTS_PER_VIEWER)
    http_unpooled = over_http(pool_size=0, tokens=list(tokens.values()), rounds=REQUESTS_PER_VIEWER)

    # Fan-out: the celebrity, followed by every account, all of them active.
    fanout.mark_active([*ids, celebrity])
    throughputs = []
    for round_ in range(3):
        status = Status.objects.create(
            account_id=celebrity, text=f"news {round_}", content="<p>news</p>"
        )
        began = time.perf_counter()
        added = fanout.fanout_status(status_id=status.pk)
        throughputs.append(added / (time.perf_counter() - began))
    followers = Follow.objects.filter(target_id=celebrity).count()

    p50 = {name: percentile(v, 0.5) for name, v in
           (("api", api), ("selector", selector), ("naive", naive), ("floor", floor))}  # fmt: skip
    print(f"home timeline page (20), {len(api)} requests over {len(viewers)} viewers")
    print(
        f"  API (Agora, feed store)      {millis(api)}  SQL queries/request {statistics.median(api_queries):.0f} (max {max(api_queries)})"
    )
    print(f"  selector (Agora, no HTTP)    {millis(selector)}")
    print(f"  naive DB query               {millis(naive)}")
    print(f"  floor (Redis range + 1 SQL)  {millis(floor)}")
    print(f"  cold feed rebuild            mean {rebuild_seconds * 1000:7.2f} ms")
    print(f"  over HTTP (uvicorn), pooled  {millis(http_pooled)}")
    print(f"  over HTTP, unpooled          {millis(http_unpooled)}")
    print(f"ratio naive / Agora API (p50)      {p50['naive'] / p50['api']:8.2f}")
    print(f"ratio naive / Agora selector (p50) {p50['naive'] / p50['selector']:8.2f}")
    print(f"ratio Agora API / floor (p50)      {p50['api'] / p50['floor']:8.2f}")
    print(f"ratio Agora selector / floor (p50) {p50['selector'] / p50['floor']:8.2f}")
    http_p50 = percentile(http_pooled, 0.5)
    print(f"ratio HTTP pooled / floor (p50)    {http_p50 / p50['floor']:8.2f}")
    print(f"ratio HTTP unpooled / pooled (p50) {percentile(http_unpooled, 0.5) / http_p50:8.2f}")
    print(
        f"fan-out to {followers:,} active followers: "
        f"{statistics.median(throughputs):,.0f} feed entries/s (median of 3)"
    )


if __name__ == "__main__":
    main()
