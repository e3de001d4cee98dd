"""Where a request's CPU goes: timeline and notification pages, a creation, a favourite, profiled.

Runs the platform in this process with production settings (``DEBUG=false``) on a
migrated scratch PostgreSQL database (``DATABASE_URL``; the bench adds its own accounts
and statuses, named ``prof*``) and Redis (``REDIS_URL``; the broker too, so a creation's
enqueue is real). Requests go through Django's whole handler (every middleware, DRF,
the serializers) with the test client, without a server: the ASGI server's own cost is
``bench/load.py``'s. Prints, for each request kind, CPU milliseconds per request
(``time.process_time``) and wall milliseconds, the SQL queries per request, then the
functions that cost the most (cProfile, own time and cumulative), so a change can be
judged by the figure it moves. The public timeline and the notifications page are
the reads that apply the visibility rules in SQL (the home page reads its ids from
the feed store). The home page is measured twice: as a reader sees it
most of the time, with the rendered entities cached, and with none cached (each
status rendered afresh, as for a page of statuses nobody has read since they
changed)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_prof \\
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/profile_api.py [--requests 300]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
from bench.settings import production_environment  # noqa: E402

production_environment()

AUTHORS = 60
STATUSES_PER_AUTHOR = 40


def setup_data(rng: random.Random):
    """A viewer following AUTHORS accounts that posted; its home feed built. Returns (viewer, token)."""
    from django.contrib.auth import get_user_model

    from apps.feed.services.relationships import account_follow
    from apps.feed.services.statuses import status_create
    from bench.feed import bearer_for

    users = get_user_model()
    tag = f"prof{random.getrandbits(24):06x}"  # a new set each run
    viewer = users.objects.create_user(
        username=f"{tag}v", email=f"{tag}v@example.com", password=None
    )
    authors = [
        users.objects.create_user(
            username=f"{tag}a{i}", email=f"{tag}a{i}@example.com", password=None
        )
        for i in range(AUTHORS)
    ]
    for author in authors:
        account_follow(account=viewer, target=author)
    for n in range(STATUSES_PER_AUTHOR):
        for author in authors:
            status_create(author=author, text=f"status {n} by {author.username} #bench")
    # Notifications of each kind a page shows: follows, favourites and mentions.
    from apps.feed.services.interactions import status_favourite

    own = status_create(author=viewer, text="the viewer's own post")
    for author in authors[:20]:
        account_follow(account=author, target=viewer)
        status_favourite(status=own, account=author)
        status_create(author=author, text=f"@{viewer.username} hello")
    from django.db import connection

    # Statistics, as autovacuum would have them: without, PostgreSQL plans the new rows
    # as empty tables (a 60 ms nested loop for a public page instead of 0.6 ms).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return viewer, bearer_for(viewer)


def measure(
    label: str, send, requests: int, top: int, before=None, *, counted: bool = True
) -> float:
    """Time and profile ``send``; ``before`` (untimed, unprofiled) runs ahead of each call.

    Returns the CPU milliseconds per request."""
    from django.db import connection

    before = before or (lambda: None)
    for _ in range(20):  # warm caches and connections
        before()
        send()
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # A wrapper, not connection.queries: a pooled connection's log is reset per request.
    before()
    with connection.execute_wrapper(count):
        send()
    cpu = wall = 0.0
    for _ in range(requests):
        before()
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        send()
        cpu += time.process_time() - cpu_start
        wall += time.perf_counter() - wall_start
    print(
        f"\n{label}: {cpu / requests * 1000:.2f} ms CPU, {wall / requests * 1000:.2f} ms wall "
        f"per request" + (f", {len(queries)} SQL queries" if counted else "")
    )
    if top <= 0:
        return cpu / requests * 1000
    profile = cProfile.Profile()
    for _ in range(requests):
        before()
        profile.enable()
        send()
        profile.disable()
    ours = f"{ROOT}/(apps|platform)/"
    for order, where in (("tottime", ""), ("cumulative", ""), ("cumulative", ours)):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats(order)
        stats.print_stats(where, top) if where else stats.print_stats(top)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        print(f"  by {order}{' (Agora only)' if where else ''}:")
        for line in lines[start : start + top + 1]:
            print("   ", line[:160])
    return cpu / requests * 1000


class Floor:
    """``bench/load.py``'s floor (the bare ASGI app's handler: the same data operations
    without a framework), called in this process on the same database and Redis, JSON
    encoding included, so its CPU compares with Agora's. One event loop runs every call."""

    def __init__(self, token: str):
        import asyncio

        os.environ["FLOOR_DATABASE_URL"] = os.environ["DATABASE_URL"]
        os.environ["FLOOR_REDIS_URL"] = os.environ["REDIS_URL"]
        self.loop = asyncio.new_event_loop()
        self.scope = {"headers": [(b"authorization", f"Bearer {token}".encode())]}

    def sender(self, method: str, path: str, body: dict | None = None):
        import json

        from bench import load

        counter = iter(range(10**9))

        async def receive():
            text = (body or {}).get("status", "").format(n=next(counter))
            return {"body": json.dumps({**(body or {}), "status": text}).encode()}

        async def handle():
            state = await load._floor_state()
            status, payload = await load._floor_handle(state, method, path, self.scope, receive)
            assert status == 200, payload
            json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()

        return lambda: self.loop.run_until_complete(handle())

    def close(self) -> None:
        from bench import load

        if load._floor:
            self.loop.run_until_complete(load._floor["pool"].close())
            redis = load._floor["redis"]
            self.loop.run_until_complete(redis.delete(load.FLOOR_QUEUE))
            self.loop.run_until_complete(redis.aclose())
            load._floor.clear()
        self.loop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--only",
        choices=["home", "home-cold", "public", "notifications", "create", "favourite", "floor"],
        default=None,
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL must name a migrated scratch PostgreSQL database")

    # Production settings serve hashed static files (the Dockerfile collects them).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT, check=True,
    )  # fmt: skip
    import django

    django.setup()
    from django.test import Client

    rng = random.Random(5)
    viewer, token = setup_data(rng)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    print(
        f"profile_api: production settings, PostgreSQL, Redis; a viewer following {AUTHORS} "
        f"accounts ({AUTHORS * STATUSES_PER_AUTHOR} statuses); load {os.getloadavg()[0]:.1f}"
    )

    def home():
        response = client.get("/api/v1/timelines/home")
        assert response.status_code == 200, response.content[:300]

    counter = iter(range(10**9))

    def create():
        response = client.post(
            "/api/v1/statuses",
            {"status": f"profiled post {next(counter)} #bench", "visibility": "public"},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content[:300]

    figures: dict[str, float] = {}
    if args.only in (None, "home", "floor"):
        figures["home"] = measure("home timeline page (20)", home, args.requests, args.top)
    if args.only in (None, "home-cold"):
        from django.core.cache import cache

        def forget_entities():
            # Every status rendered afresh, as for a page nobody has read since it changed.
            cache.delete_pattern("entity:*")

        measure(
            "home timeline page (20), entities not cached", home, args.requests, args.top,
            before=forget_entities,
        )  # fmt: skip
    if args.only in (None, "public", "floor"):

        def public():
            response = client.get("/api/v1/timelines/public")
            assert response.status_code == 200, response.content[:300]

        figures["public"] = measure("public timeline page (20)", public, args.requests, args.top)
    if args.only in (None, "notifications", "floor"):

        def notifications():
            response = client.get("/api/v1/notifications")
            assert response.status_code == 200, response.content[:300]
            assert len(response.json()) == 20, len(response.json())

        figures["notifications"] = measure(
            "notifications page (20)", notifications, args.requests, args.top
        )
    if args.only in (None, "create", "floor"):
        figures["create"] = measure("status creation", create, args.requests, args.top)
    if args.only in (None, "favourite"):
        from apps.feed.models import Follow, Status

        # A status of the followed authors not favourited yet, for each request.
        followed = Follow.objects.filter(account=viewer).values("target")
        unfavourited = iter(
            Status.objects.filter(account__in=followed)
            .exclude(favourites__account=viewer)
            .order_by("-id")
            .values_list("pk", flat=True)
        )

        def favourite():
            response = client.post(f"/api/v1/statuses/{next(unfavourited)}/favourite")
            assert response.status_code == 200, response.content[:300]

        measure("favourite", favourite, args.requests, args.top)
    if args.only in (None, "floor"):
        floor_figures(client, token, figures, args.requests)


def floor_figures(client, token: str, agora: dict[str, float], requests: int) -> None:
    """Agora's reads against the floor's, and the least any Agora API request costs.

    The least is ``GET /api/v1/preferences``: the token check, every middleware, DRF's
    dispatch and a few keys rendered, no data read. Measured again with no middleware
    (Django's handler, DRF and the token check alone), it splits that least between the
    middleware and the framework. A read costs at least the least request plus its data
    operations, and those at least what the floor's whole request does, so
    ``floor / (least + floor)`` bounds the share of the floor any read on Django and DRF
    could reach (``bound``), and ``(least + floor) / Agora`` is Agora's share of that
    Django floor: how much its own work adds to what the framework cannot avoid.
    """
    from django.test import Client, override_settings

    def preferences(through):
        def send():
            response = through.get("/api/v1/preferences")
            assert response.status_code == 200, response.content[:300]

        return send

    least = measure("least request (preferences)", preferences(client), requests, 0)
    with override_settings(MIDDLEWARE=[]):
        bare = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        unwrapped = measure("least request, no middleware", preferences(bare), requests, 0)
    floor_app = Floor(token)
    post = {"status": "floor post {n} #bench", "visibility": "public"}
    floor = {
        kind: measure(f"floor: {kind}", floor_app.sender(*call), requests, 0, counted=False)
        for kind, call in (
            ("home", ("GET", "/api/v1/timelines/home")),
            ("public", ("GET", "/api/v1/timelines/public")),
            ("notifications", ("GET", "/api/v1/notifications")),
            ("create", ("POST", "/api/v1/statuses", post)),
        )
    }
    floor_app.close()
    print(
        "\nCPU per request in this process, ms (the floor run by asyncio's loop, its "
        "handler and JSON encoding; Agora through Django's test client)"
    )
    print(f"  least Agora request: {least:.2f} (middleware {least - unwrapped:.2f}, "
          f"Django + DRF + token check {unwrapped:.2f})")  # fmt: skip
    print(
        f"  {'request':<14}{'Agora':>8}{'floor':>8}{'floor/Agora':>13}{'bound':>8}"
        f"{'(least+floor)/Agora':>21}"
    )
    for kind, cost in floor.items():
        print(
            f"  {kind:<14}{agora[kind]:>8.2f}{cost:>8.2f}{cost / agora[kind]:>13.2f}"
            f"{cost / (least + cost):>8.2f}{(least + cost) / agora[kind]:>21.2f}"
        )


if __name__ == "__main__":
    main()
