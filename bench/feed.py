"""Home timeline benchmark: the feed store against a naive database query and the floor.

Generates accounts with a power-law follow graph and statuses on PostgreSQL
(``DATABASE_URL``, a database of its own: the bench empties it) and Redis
(``REDIS_URL``: only the ``feed:*`` keys are touched), then prints, measured in
the same run, for two classes of viewers: the home timeline page latency through
the API (with its SQL query count) and through the selector, a naive database query
for the same page, and the floor (one Redis range read plus one SQL fetch of those
ids); then the cold rebuild, the same pages over HTTP from uvicorn, and fan-out
throughput for an author followed by every account. With several sizes
(``--sizes 1m,5m``) each is generated and measured in turn, and a side-by-side table
ends the run. Ratios, not verdicts.

The two classes: *busy* viewers are ordinary accounts of the power-law graph (they
follow the busiest posters); *quiet* viewers follow 200 quiet accounts only, whose
statuses are a small share of the table spread over its whole time range, so the
naive query must scan for them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/feed.py --sizes 1m,5m
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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# DEBUG on in process (production settings need the collected static files' manifest:
# the uvicorn measurement collects them); it logs every query, the same for each figure.
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")


@dataclass(frozen=True)
class Size:
    """A generated platform: power-law accounts and statuses, plus the quiet set."""

    accounts: int
    statuses: int
    # Accounts that post rarely: each about quiet_statuses of the statuses, whatever the
    # size, at random times over the whole range. A larger table is everyone else
    # posting more, so the quiet accounts' statuses grow sparser in it.
    quiet_accounts: int
    quiet_statuses: int


SIZES = {
    "small": Size(accounts=1_000, statuses=20_000, quiet_accounts=400, quiet_statuses=2),
    "1m": Size(accounts=10_000, statuses=1_000_000, quiet_accounts=1_000, quiet_statuses=10),
    "5m": Size(accounts=10_000, statuses=5_000_000, quiet_accounts=1_000, quiet_statuses=10),
}
SIZES["full"] = SIZES["1m"]
QUIET_FOLLOWS = 200
VIEWERS = 40  # of each class
REQUESTS_PER_VIEWER = 5
CLASSES = ("busy", "quiet")
SPAN = timedelta(days=30)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def millis(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5) * 1000:7.2f} ms  p95 {percentile(values, 0.95) * 1000:7.2f} ms"


def load_average() -> str:
    """The machine's load, as ``uptime`` prints it (the figures depend on it)."""
    completed = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return completed.stdout.strip() or "uptime unavailable"


def copy_rows(cursor, model, columns: list[str], rows) -> None:
    """COPY ``rows`` (values of ``columns``) into ``model``'s table; every other column
    takes the model field's default, so new fields need no change here."""
    from django.db import connection

    extra_columns, extra_values = [], []
    for model_field in model._meta.concrete_fields:
        if model_field.column in columns or model_field.primary_key:
            continue  # a primary key not given is the database's identity
        # The field's default; "" for a text field without one, else None (a NOT NULL
        # column without a default then fails the COPY loudly).
        value = model_field.get_default()
        extra_columns.append(model_field.column)
        extra_values.append(model_field.get_db_prep_save(value, connection))
    table = model._meta.db_table
    with cursor.copy(f"COPY {table} ({', '.join([*columns, *extra_columns])}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([*row, *extra_values])


@dataclass
class Population:
    ids: list[int]  # the power-law accounts
    celebrity: int  # followed by every power-law account
    quiet: list[int]  # accounts that post rarely
    quiet_viewers: list[int]  # each follows QUIET_FOLLOWS quiet accounts, nothing else


def generate(size: Size, rng: random.Random) -> Population:
    """Fill the database: accounts, follows (power law), quiet accounts and their
    followers, statuses; then VACUUM ANALYZE, as autovacuum leaves a live table."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from apps.feed.models import Follow, Status
    from core.ids import generate_id

    User = get_user_model()
    accounts, statuses = size.accounts, size.statuses
    now = datetime.now(tz=UTC)
    quiet_count, quiet_viewer_count = size.quiet_accounts, VIEWERS
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_user RESTART IDENTITY CASCADE")
        user_columns = [
            "id", "password", "is_superuser", "first_name", "last_name", "is_staff", "is_active",
            "date_joined", "username", "display_name", "note", "avatar", "header", "locked",
            "bot", "discoverable", "fields", "locale", "default_privacy", "default_sensitive",
            "default_language", "updated_at", "followers_count", "following_count",
            "statuses_count",
        ]  # fmt: skip
        names = [
            *(f"bench{i}" for i in range(accounts + 1)),
            *(f"quiet{i}" for i in range(quiet_count)),
            *(f"quietviewer{i}" for i in range(quiet_viewer_count)),
        ]
        user_rows = (
            [generate_id(), "!", False, "", "", False, True, now, name, "", "", "", "", False,
             False, True, "[]", "", "public", False, "", now, 0, 0, 0]
            for name in names
        )  # fmt: skip
        copy_rows(cursor.connection.cursor(), User, user_columns, user_rows)
        cursor.execute("SELECT username, id FROM accounts_user")
        by_name = dict(cursor.fetchall())
        ids = [by_name[f"bench{i}"] for i in range(accounts + 1)]
        celebrity, ids = ids[0], ids[1:]
        quiet = [by_name[f"quiet{i}"] for i in range(quiet_count)]
        quiet_viewers = [by_name[f"quietviewer{i}"] for i in range(quiet_viewer_count)]

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
        # Quiet viewers follow QUIET_FOLLOWS quiet accounts, and no one else.
        for viewer in quiet_viewers:
            follows.update((viewer, target) for target in rng.sample(quiet, QUIET_FOLLOWS))
        copy_rows(
            cursor.connection.cursor(),
            Follow,
            ["account_id", "target_id", "created_at", "show_reblogs", "notify"],
            ((a, t, now, True, False) for a, t in follows),
        )

        # Statuses over the last 30 days, authors by the same power law, except about
        # quiet_statuses each by the quiet accounts, at random over the whole range.
        start_ms = int((now - SPAN).timestamp() * 1000)
        span_ms = int(SPAN.total_seconds() * 1000)
        stamps = sorted(rng.randrange(span_ms) for _ in range(statuses))
        status_columns = [
            "id", "created_at", "updated_at", "account_id", "text", "content", "spoiler_text",
            "sensitive", "language", "visibility", "application_name", "moderation_state",
            "moderation_reason", "favourites_count", "reblogs_count", "replies_count",
        ]  # fmt: skip
        visibilities = ["public"] * 8 + ["unlisted", "private"]
        quiet_share = quiet_count * size.quiet_statuses / statuses

        def status_rows():
            random_ = rng.random
            for sequence, offset in enumerate(stamps):
                millis_ = start_ms + offset
                created = datetime.fromtimestamp(millis_ / 1000, tz=UTC)
                if random_() < quiet_share:
                    author = quiet[int(random_() * quiet_count)]
                else:
                    author = ids[bisect.bisect(weights, random_() * weights[-1]) % accounts]
                yield [
                    (millis_ << 16) | (sequence & 0xFFFF), created, created, author,
                    "bench status", "<p>bench status</p>", "", False, "en",
                    visibilities[int(random_() * 10)], "", "visible", "", 0, 0, 0,
                ]  # fmt: skip

        copy_rows(cursor.connection.cursor(), Status, status_columns, status_rows())
        cursor.execute(
            "UPDATE accounts_user u SET followers_count = c.n FROM "
            "(SELECT target_id, count(*) n FROM feed_follow GROUP BY target_id) c "
            "WHERE u.id = c.target_id"
        )
        cursor.execute("VACUUM ANALYZE accounts_user, feed_follow, feed_status")
    return Population(ids=ids, celebrity=celebrity, quiet=quiet, quiet_viewers=quiet_viewers)


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


class HttpSkipped(Exception):
    """The uvicorn measurement cannot run (the reason is printed in its place)."""


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
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if collected.returncode:
        last = (collected.stderr.strip().splitlines() or ["no output"])[-1]
        raise HttpSkipped(f"collectstatic failed ({last})")
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


def over_http(
    *, pool_size: int, tokens: dict[str, list[str]], rounds: int
) -> dict[str, list[float]]:
    """Home timeline page latencies over one keep-alive HTTP connection to uvicorn,
    for each class of ``tokens`` (class -> bearer tokens), the classes interleaved."""
    process, port = serve(pool_size=pool_size)
    try:
        connection = HTTPConnection("127.0.0.1", port, timeout=30)
        latencies: dict[str, list[float]] = {name: [] for name in tokens}
        for round_ in range(rounds + 1):
            for name, token in zip(*_interleaved(tokens), strict=True):
                began = time.perf_counter()
                connection.request(
                    "GET", "/api/v1/timelines/home", headers={"Authorization": f"Bearer {token}"}
                )
                response = connection.getresponse()
                body = response.read()
                if round_:  # the first round warms the process up
                    latencies[name].append(time.perf_counter() - began)
                assert response.status == 200, body[:200]
        return latencies
    finally:
        process.terminate()
        process.wait(timeout=30)


def _interleaved(groups: dict[str, list]) -> tuple[list[str], list]:
    """(class names, items) alternating between the classes, so load hits them alike."""
    names, items = [], []
    for row in itertools.zip_longest(*groups.values()):
        for name, item in zip(groups, row, strict=True):
            if item is not None:
                names.append(name)
                items.append(item)
    return names, items


@dataclass
class Measured:
    """One class of viewers at one size: latencies in seconds."""

    api: list[float] = field(default_factory=list)
    api_queries: list[int] = field(default_factory=list)
    selector: list[float] = field(default_factory=list)
    naive: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    rebuild: list[float] = field(default_factory=list)
    http_pooled: list[float] = field(default_factory=list)
    http_unpooled: list[float] = field(default_factory=list)
    page_sizes: list[int] = field(default_factory=list)


def naive_page(viewer) -> list:
    """The naive home page: statuses of followed accounts, newest first, 20."""
    from apps.feed.models import Follow, Status

    followed = Follow.objects.filter(account=viewer).values("target")
    return list(Status.objects.filter(account__in=followed).order_by("-id")[:20])


def explain(viewer, label: str) -> None:
    """EXPLAIN ANALYZE of the naive query and of Agora's page fetch, for one viewer."""
    from django.db import connection

    from apps.feed import fanout
    from apps.feed.fanout.reads import FETCH_SLACK
    from apps.feed.models import Follow, Status

    followed = Follow.objects.filter(account=viewer).values("target")
    naive = Status.objects.filter(account__in=followed).order_by("-id")[:20]
    ids = [
        int(i) for i in fanout.client().zrevrange(fanout.feed_key(viewer.pk), 0, 19 + FETCH_SLACK)
    ]
    # The store's fetch of a page's rows (apps.feed.fanout.reads.shown_among).
    fetch = Status.objects.select_related("account", "reblog_of", "reblog_of__account").filter(
        pk__in=ids
    )
    for name, queryset in (("naive", naive), ("Agora fetch by id", fetch)):
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(f"      {row[0]}" for row in cursor.fetchall())
        print(f"  EXPLAIN ANALYZE, {label} viewer, {name}:\n{plan}")


def measure(name: str, size: Size, *, seed: int, http: bool, plans: bool) -> dict[str, Measured]:
    """Generate one size and measure both classes of viewers; prints as it goes."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apps.feed import fanout, selectors
    from apps.feed.models import Follow, Status
    from core.pagination import PageParams

    rng, viewer_rng = random.Random(seed), random.Random(seed + 1)
    started = time.perf_counter()
    population = generate(size, rng)
    clear_feed_keys()
    quiet_rows = Status.objects.filter(account__in=population.quiet).count()
    print(
        f"[{name}] generated {size.accounts:,} accounts (+1 followed by all), "
        f"{size.quiet_accounts:,} quiet accounts ({quiet_rows:,} statuses, "
        f"{quiet_rows / size.quiet_accounts:.1f} each), {VIEWERS} quiet viewers "
        f"(following {QUIET_FOLLOWS} quiet accounts each), {Follow.objects.count():,} follows, "
        f"{size.statuses:,} statuses in {time.perf_counter() - started:.1f}s"
    )
    print(f"[{name}] load: {load_average()}")

    User = get_user_model()
    viewers = {
        # Drawn apart from the data, so every size measures the same accounts.
        "busy": list(User.objects.filter(pk__in=viewer_rng.sample(population.ids, VIEWERS))),
        "quiet": list(User.objects.filter(pk__in=population.quiet_viewers)),
    }
    results = {label: Measured() for label in CLASSES}
    # Each feed is rebuilt by the store's own rebuild (the home query), as a read of a
    # cold feed does in production.
    for label, group in viewers.items():
        for viewer in group:
            fanout.mark_active([viewer.pk])
            began = time.perf_counter()
            fanout.rebuild(viewer=viewer)
            results[label].rebuild.append(time.perf_counter() - began)

    client = Client(HTTP_HOST="localhost")
    tokens = {viewer.pk: bearer_for(viewer) for group in viewers.values() for viewer in group}
    params = PageParams(max_id=None, since_id=None, min_id=None, limit=20)
    redis_client = fanout.client()
    labels, order = _interleaved(viewers)
    for _round in range(REQUESTS_PER_VIEWER):
        for label, viewer in zip(labels, order, strict=True):
            result = results[label]
            auth = f"Bearer {tokens[viewer.pk]}"
            began = time.perf_counter()
            response = client.get("/api/v1/timelines/home", HTTP_AUTHORIZATION=auth)
            result.api.append(time.perf_counter() - began)
            assert response.status_code == 200, response.content[:200]

            began = time.perf_counter()
            page = selectors.home_timeline(viewer=viewer, params=params)
            result.selector.append(time.perf_counter() - began)
            result.page_sizes.append(len(page))

            began = time.perf_counter()
            naive_page(viewer)
            result.naive.append(time.perf_counter() - began)

            began = time.perf_counter()
            page_ids = redis_client.zrevrangebyscore(
                fanout.feed_key(viewer.pk), "+inf", "-inf", start=0, num=20
            )
            list(Status.objects.filter(pk__in=[int(i) for i in page_ids]).select_related("account"))
            result.floor.append(time.perf_counter() - began)

    # The API's SQL queries are counted in a round of their own, untimed, after the
    # timed ones (a viewer's first read caches what its later reads reuse).
    for label, viewer in zip(labels, order, strict=True):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(
                "/api/v1/timelines/home", HTTP_AUTHORIZATION=f"Bearer {tokens[viewer.pk]}"
            )
        assert response.status_code == 200, response.content[:200]
        results[label].api_queries.append(len(queries))

    if plans:
        for label in CLASSES:
            explain(viewers[label][0], label)

    if http:
        # The same pages over HTTP from uvicorn, as a client sees them: with the database
        # connection pool (the default) and with a new connection per request.
        by_class = {label: [tokens[v.pk] for v in viewers[label]] for label in CLASSES}
        try:
            for pool_size, attribute in ((4, "http_pooled"), (0, "http_unpooled")):
                latencies = over_http(
                    pool_size=pool_size, tokens=by_class, rounds=REQUESTS_PER_VIEWER
                )
                for label in CLASSES:
                    setattr(results[label], attribute, latencies[label])
        except HttpSkipped as skipped:
            print(f"[{name}] over HTTP: not measured, {skipped}")
            http = False

    # Fan-out: the celebrity, followed by every power-law account, all of them active.
    fanout.mark_active([*population.ids, population.celebrity])
    throughputs = []
    for round_ in range(3):
        status = Status.objects.create(
            account_id=population.celebrity, text=f"news {round_}", content="<p>news</p>"
        )
        began = time.perf_counter()
        added = fanout.fanout_status(status_id=status.pk)
        throughputs.append(added / (time.perf_counter() - began))
    followers = Follow.objects.filter(target_id=population.celebrity).count()

    for label in CLASSES:
        result = results[label]
        p50 = {
            key: percentile(getattr(result, key), 0.5)
            for key in ("api", "selector", "naive", "floor")
        }
        print(
            f"[{name}] {label} viewers: home timeline page (20), {len(result.api)} requests over "
            f"{VIEWERS} viewers (page p50 {statistics.median(result.page_sizes):.0f} statuses)"
        )
        print(
            f"  API (Agora, feed store)      {millis(result.api)}  SQL queries/request "
            f"{statistics.median(result.api_queries):.0f} (max {max(result.api_queries)})"
        )
        print(f"  selector (Agora, no HTTP)    {millis(result.selector)}")
        print(f"  naive DB query               {millis(result.naive)}")
        print(f"  floor (Redis range + 1 SQL)  {millis(result.floor)}")
        print(f"  cold feed rebuild            {millis(result.rebuild)}")
        if http:
            print(f"  over HTTP (uvicorn), pooled  {millis(result.http_pooled)}")
            print(f"  over HTTP, unpooled          {millis(result.http_unpooled)}")
        print(f"  ratio naive / Agora API (p50)      {p50['naive'] / p50['api']:8.2f}")
        print(f"  ratio naive / Agora selector (p50) {p50['naive'] / p50['selector']:8.2f}")
        print(f"  ratio Agora API / floor (p50)      {p50['api'] / p50['floor']:8.2f}")
        print(f"  ratio Agora selector / floor (p50) {p50['selector'] / p50['floor']:8.2f}")
        if http:
            http_p50 = percentile(result.http_pooled, 0.5)
            print(f"  ratio HTTP pooled / floor (p50)    {http_p50 / p50['floor']:8.2f}")
            print(
                "  ratio HTTP unpooled / pooled (p50) "
                f"{percentile(result.http_unpooled, 0.5) / http_p50:8.2f}"
            )
    print(
        f"[{name}] fan-out to {followers:,} active followers: "
        f"{statistics.median(throughputs):,.0f} feed entries/s (median of 3)"
    )
    print(f"[{name}] load: {load_average()}")
    return results


def side_by_side(measured: dict[str, dict[str, Measured]]) -> None:
    """The table of every size and class, p50/p95 in ms, and the ratios (p50)."""
    names = list(measured)
    print()
    print("home timeline page (20): p50/p95 ms; ratios of p50")
    header = (
        f"{'size':<6}{'class':<7}{'API':>15}{'selector':>15}{'naive':>17}{'floor':>13}"
        f"{'naive/API':>11}{'naive/sel':>11}{'sel/floor':>11}"
    )
    print(header)
    for name in names:
        for label in CLASSES:
            r = measured[name][label]

            def cell(values: list[float], width: int) -> str:
                text = f"{percentile(values, 0.5) * 1000:.2f}/{percentile(values, 0.95) * 1000:.2f}"
                return f"{text:>{width}}"

            p50 = {
                key: percentile(getattr(r, key), 0.5)
                for key in ("api", "selector", "naive", "floor")
            }
            print(
                f"{name:<6}{label:<7}{cell(r.api, 15)}{cell(r.selector, 15)}{cell(r.naive, 17)}"
                f"{cell(r.floor, 13)}{p50['naive'] / p50['api']:>11.2f}"
                f"{p50['naive'] / p50['selector']:>11.2f}{p50['selector'] / p50['floor']:>11.2f}"
            )
    if len(names) > 1:
        first, last = names[0], names[-1]
        print(f"flatness {last} / {first} (p50)")
        for label in CLASSES:
            a, b = measured[first][label], measured[last][label]
            ratios = "  ".join(
                f"{key} {percentile(getattr(b, key), 0.5) / percentile(getattr(a, key), 0.5):5.2f}"
                for key in ("api", "selector", "naive", "floor")
            )
            print(f"  {label:<6} {ratios}")
        # The floor reads rows by primary key: its cost hardly depends on the table's size,
        # so its drift between the runs is the machine's (the load), which this removes.
        print(f"flatness {last} / {first} relative to the floor's (p50)")
        for label in CLASSES:
            a, b = measured[first][label], measured[last][label]
            drift = percentile(b.floor, 0.5) / percentile(a.floor, 0.5)
            ratios = "  ".join(
                f"{key} {percentile(getattr(b, key), 0.5) / percentile(getattr(a, key), 0.5) / drift:5.2f}"
                for key in ("api", "selector", "naive")
            )
            print(f"  {label:<6} {ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="the same as --sizes small")
    parser.add_argument(
        "--sizes",
        default="1m",
        help=f"comma-separated sizes, each generated and measured in turn ({', '.join(SIZES)})",
    )
    parser.add_argument("--no-http", action="store_true", help="skip the uvicorn measurements")
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE for one viewer of each class"
    )
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    sizes = ["small"] if options.small else options.sizes.split(",")
    unknown = [name for name in sizes if name not in SIZES]
    if unknown:
        parser.error(f"unknown sizes {unknown}; known: {', '.join(SIZES)}")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("bench/feed.py needs DATABASE_URL=postgres://... (a database of its own)")
    if not os.environ.get("REDIS_URL", "").startswith("redis://"):
        sys.exit("bench/feed.py needs REDIS_URL=redis://...")

    import django

    django.setup()
    from django.core.management import call_command

    print(f"load: {load_average()}")
    call_command("migrate", verbosity=0)
    measured = {}
    for name in sizes:
        # The same seed for every size: the same follow graph and the same viewers.
        measured[name] = measure(
            name, SIZES[name], seed=options.seed, http=not options.no_http, plans=options.explain
        )
    side_by_side(measured)
    print(f"load: {load_average()}")


if __name__ == "__main__":
    main()
