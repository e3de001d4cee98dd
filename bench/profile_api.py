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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", f"bench-{random.getrandbits(128):032x}")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Rate limits would refuse a profile of hundreds of requests by one account.
os.environ.setdefault("AGORA_THROTTLE_ENABLED", "false")
if "REDIS_URL" in os.environ:
    os.environ.setdefault("CELERY_BROKER_URL", os.environ["REDIS_URL"])

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


def measure(label: str, send, requests: int, top: int, before=None) -> None:
    """Time and profile ``send``; ``before`` (untimed, unprofiled) runs ahead of each call."""
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
        f"per request, {len(queries)} SQL queries"
    )
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--only",
        choices=["home", "home-cold", "public", "notifications", "create", "favourite"],
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

    if args.only in (None, "home"):
        measure("home timeline page (20)", home, args.requests, args.top)
    if args.only in (None, "home-cold"):
        from django.core.cache import cache

        def forget_entities():
            # Every status rendered afresh, as for a page nobody has read since it changed.
            cache.delete_pattern("entity:*")

        measure(
            "home timeline page (20), entities not cached", home, args.requests, args.top,
            before=forget_entities,
        )  # fmt: skip
    if args.only in (None, "public"):

        def public():
            response = client.get("/api/v1/timelines/public")
            assert response.status_code == 200, response.content[:300]

        measure("public timeline page (20)", public, args.requests, args.top)
    if args.only in (None, "notifications"):

        def notifications():
            response = client.get("/api/v1/notifications")
            assert response.status_code == 200, response.content[:300]
            assert len(response.json()) == 20, len(response.json())

        measure("notifications page (20)", notifications, args.requests, args.top)
    if args.only in (None, "create"):
        measure("status creation", create, args.requests, args.top)
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


if __name__ == "__main__":
    main()
