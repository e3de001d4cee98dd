"""What a status's context and a post cost as the thread and the notified audience grow.

Before issue 11 a context cost about three queries per ancestor and a post about
three per follower who asked to be notified, inside the posting transaction. Both
are now a fixed number of queries. Printed, from the same run, on the same data:

1. ``/api/v1/statuses/:id/context`` for the last reply of threads 1, 50 and 500
   deep: queries and milliseconds through the API, against a baseline that walks
   the thread one parent at a time as the old code did (a query for the parent and
   one for each visibility check), with the ratio baseline / Agora;
2. posting a status with 0, 50 and 500 followers who asked to be notified: queries
   and milliseconds through the API, with the ratio to the post nobody is notified
   of (1.0 means flat).

The database is a private copy of the tests' migrated SQLite template (or
``DATABASE_URL``, which must then be a migrated scratch database)::

    .venv/bin/python bench/threads.py [--repeat 5]
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
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

DEPTHS = (1, 50, 500)
AUDIENCES = (0, 50, 500)


def measured(call, repeat: int) -> tuple[int, float]:
    """(queries of one call, median milliseconds over ``repeat`` calls)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # the log holds 9,000 queries at most: a full one would count none
    with CaptureQueriesContext(connection) as captured:
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return len(captured.captured_queries), statistics.median(times)


def naive_ancestors(viewer, status):
    """The old walk: each parent fetched, then checked against ``visible_to``, one by one."""
    from apps.feed.models import Status

    ancestors = []
    while status.in_reply_to_id is not None:
        parent = Status.objects.filter(pk=status.in_reply_to_id).first()
        if parent is None or not Status.objects.visible_to(viewer).filter(pk=parent.pk).exists():
            break
        ancestors.append(parent)
        status = parent
    ancestors.reverse()
    return ancestors


def client_for(account):
    from tests.accounts.factories import AccessTokenFactory
    from tests.api_client import APIClient

    client = APIClient()
    client.check_schema = False  # measure the API, not the test client's schema check
    token = AccessTokenFactory(user=account, scope="read write follow")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    return client


def threads(repeat: int) -> None:
    from apps.feed import services
    from tests.accounts.factories import UserFactory

    author = UserFactory()
    reader = client_for(author)
    print("context of the last reply   queries  ms (API)   baseline queries  ms   baseline/Agora")
    for depth in DEPTHS:
        status = services.status_create(author=author, text="the thread starts")
        for n in range(depth):
            status = services.status_create(
                author=author, text=f"reply {n}", in_reply_to_id=status.pk
            )
        path = f"/api/v1/statuses/{status.pk}/context"

        def api_call(path=path, depth=depth):
            response = reader.get(path)
            assert response.status_code == 200, response.content
            assert len(response.json()["ancestors"]) == depth

        def baseline_call(status=status, depth=depth):
            assert len(naive_ancestors(author, status)) == depth

        queries, ms = measured(api_call, repeat)
        base_queries, base_ms = measured(baseline_call, repeat)
        print(f"  {depth:>4} deep              {queries:>7}  {ms:>8.1f}   "
              f"{base_queries:>16}  {base_ms:>6.1f}   {base_ms / ms:>6.2f}")  # fmt: skip


def audiences(repeat: int) -> None:
    from apps.feed.models import Follow
    from tests.accounts.factories import UserFactory

    print("posting, notified followers   queries  ms (API)   ms / ms with none")
    floor_ms = None
    for size in AUDIENCES:
        author = UserFactory()
        followers = [UserFactory() for _ in range(size)]
        Follow.objects.bulk_create(
            Follow(account=follower, target=author, notify=True) for follower in followers
        )
        poster = client_for(author)
        counter = iter(range(10_000))

        def post(poster=poster, counter=counter):
            response = poster.post(
                "/api/v1/statuses", {"status": f"news {next(counter)}"}, format="json"
            )
            assert response.status_code == 200, response.content

        queries, ms = measured(post, repeat)
        floor_ms = floor_ms or ms
        print(f"  {size:>4}                       {queries:>7}  {ms:>8.1f}   {ms / floor_ms:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat

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
    # The test client's requests would close the connection at their start and end and
    # empty the queries log the count is read from.
    from django.core import signals
    from django.db import close_old_connections, reset_queries

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.request_started.disconnect(reset_queries)
    settings.AGORA_THROTTLE_ENABLED = False
    settings.ALLOWED_HOSTS = ["*"]
    try:
        print(f"database: {connections['default'].vendor}")
        threads(repeat)
        audiences(repeat)
    finally:
        connections["default"].close()
        if copy is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
