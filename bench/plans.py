"""How PostgreSQL receiving the API's values changes what its page queries cost.

A page's query carries fifty-odd values (the viewer, the clock, the visibility rules'
constants). They can reach PostgreSQL quoted into the query's text by psycopg in Python
(client-side binding, Django's default), or apart from it (server-side binding,
``DATABASE_SERVER_SIDE_BINDING``, Agora's default), and a statement sent that way can be
kept prepared, after which PostgreSQL may switch to a generic plan: one planned once,
without the values. This bench measures each way on ``bench/load.py``'s data (run it
once with ``--keep-db``), for the rule-heavy page queries whose plan depends on who asks:

- the notifications page's ids, for the viewer with the most notifications, the third
  most, one with a few, and forty viewers in turn (from the busiest to the quietest, one
  query after the other on one connection, as a server's connection serves them);
- the public timeline's ids;

and for the two pages' reads of their rows by key (``core.rows``), whose plan cannot depend
on the keys. Agora prepares all of them (``DATABASE_PREPARED_STATEMENTS``): the reads by
key as PostgreSQL chooses, the page ids with their generic plan (``core.postgres.preparing``).
The page-ids queries' rules reach PostgreSQL with their constants written into the text
(``apps.feed.models.compiled.written_in``), only the viewer, the creators and the clock as
values: sent as values too, the constants left the generic plan guessing, and it took
800 ms to 2 s a notifications page. PostgreSQL's own choice is shown for them too: over
viewers in turn it kept planning each page anew.

Each query is captured from a real request (Django's whole handler, production settings)
and then run N times per way on a connection of its own; the figure is the median wall
milliseconds an execution costs the client (binding, the round trip, PostgreSQL's
parsing, planning and execution). The baseline, measured in the same run, is client-side
binding::

    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/plans.py \\
        [--database agora_bench_load] [--runs 60]
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
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
from bench.settings import production_environment  # noqa: E402

production_environment()

# (label, cursor kind, prepared, PostgreSQL's plan_cache_mode)
WAYS = (
    ("client-side binding (Django's default)", "client", False, "auto"),
    ("server-side binding, unprepared", "server", False, "auto"),
    ("prepared, planned with the values", "server", True, "force_custom_plan"),
    ("prepared, PostgreSQL's choice (Agora's reads by key)", "server", True, "auto"),
    ("prepared, generic plan (Agora's page ids)", "server", True, "force_generic_plan"),
)
WARMUP = 6  # past the five custom plans PostgreSQL makes before it may choose a generic one


def captured(path: str, viewer, *, rows: bool = False) -> tuple[str, tuple]:
    """The SQL and values of the page-ids query a GET of ``path`` by ``viewer`` runs, or with
    ``rows`` of its read of the page's rows by key."""
    from django.db import connection
    from django.test import Client

    from bench.feed import bearer_for

    client = Client(HTTP_AUTHORIZATION=f"Bearer {bearer_for(viewer)}")
    seen: list[tuple[str, tuple]] = []

    def record(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    from core.postgres import PREPARED

    def page_ids(sql: str) -> bool:
        return sql.removeprefix(PREPARED).startswith('SELECT "feed_') and '"id" AS "pk"' in sql

    if rows:
        return next(
            q for q in seen if q[0].startswith(PREPARED) and "feed_" in q[0] and not page_ids(q[0])
        )
    return next(q for q in seen if page_ids(q[0]))


def median_ms(url: str, queries: list[tuple[str, tuple]], way: tuple, runs: int) -> float:
    """The median wall ms of ``runs`` executions of ``queries`` in turn (the same statement
    with each viewer's values), after ``WARMUP``, on a connection of their own."""
    import psycopg
    from django.db import connection

    _label, kind, prepared, mode = way
    cursor_class = psycopg.ClientCursor if kind == "client" else psycopg.Cursor
    # Django's adapters (its enums, its time zone), as its own connections use them.
    context = connection.get_connection_params()["context"]
    with psycopg.connect(url, autocommit=True, context=context) as conn:
        conn.execute(f"SET plan_cache_mode = {mode}")
        conn.execute("SET jit = off")
        cursor = cursor_class(conn)
        times = []
        for n in range(WARMUP + runs):
            sql, params = queries[n % len(queries)]
            start = time.perf_counter()
            cursor.execute(sql, params, prepare=prepared)
            cursor.fetchall()
            if n >= WARMUP:
                times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="agora_bench_load")
    parser.add_argument("--runs", type=int, default=60)
    options = parser.parse_args()
    url = f"postgres://postgres@127.0.0.1:5432/{options.database}"
    os.environ["DATABASE_URL"] = url

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from apps.feed.models import Notification

    busiest = list(Notification.objects.values("account_id").annotate(n=Count("id")).order_by("-n"))
    if not busiest:
        sys.exit(f"{options.database} has no notifications: run bench/load.py --keep-db first")
    users = get_user_model().objects
    few = next(row for row in busiest if row["n"] <= 30)
    # Each case: its label, the page, and the viewers whose queries it runs in turn.
    first = [busiest[0]["account_id"]]
    cases = [
        ("notifications, 40 viewers in turn", "/api/v1/notifications",
         [row["account_id"] for row in busiest[:: max(1, len(busiest) // 40)][:40]]),
        (f"notifications, busiest viewer ({busiest[0]['n']:,})", "/api/v1/notifications", first),
        (f"notifications, third viewer ({busiest[2]['n']:,})", "/api/v1/notifications",
         [busiest[2]["account_id"]]),
        (f"notifications, a viewer with {few['n']}", "/api/v1/notifications",
         [few["account_id"]]),
        ("public timeline", "/api/v1/timelines/public", first),
        ("notifications page's rows by key", "/api/v1/notifications", first),
        ("public timeline's rows by key", "/api/v1/timelines/public", first),
    ]  # fmt: skip
    print(
        f"bench/plans.py: {options.database}, {options.runs} runs per way, median ms per execution"
    )
    print(f"  {'query':40s} {'way':52s} {'ms':>9s} {'/ client-side':>14s}")
    for label, path, viewers in cases:
        by_key = "rows by key" in label
        queries = [captured(path, users.get(pk=viewer), rows=by_key) for viewer in viewers]
        baseline = None
        for n, way in enumerate(WAYS):
            ms = median_ms(url, queries, way, max(options.runs, len(queries)))
            baseline = baseline or ms
            shown = label if n == 0 else ""
            print(f"  {shown:40s} {way[0]:52s} {ms:9.2f} {ms / baseline:13.2f}x")


if __name__ == "__main__":
    main()
