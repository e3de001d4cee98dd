"""Load that holds: open-loop load on a running Agora, against the floor, at fixed arrival rates.

Creates a scratch PostgreSQL database (``agora_bench_load`` unless ``--database`` names
another; migrated, filled with COPY, dropped at the end unless ``--keep-db``), uses Redis
database 15 (``--redis``; flushed), and starts, as production runs them: Agora under
uvicorn as ``deploy/Dockerfile`` starts it (production settings, ``--workers`` processes,
the database pool of ``DATABASE_POOL_MAX_SIZE``), a real Celery worker as
``deploy/compose.yaml`` starts it (status creation and favourites enqueue the outbox
relay and the fan-out), and the floor: a bare ASGI app (``floor_app`` below: no
framework, psycopg's async pool and redis-py's asyncio client) under the same uvicorn
with the same worker count, doing the same data operations per request.

The generator is open loop: requests leave at fixed arrival times (Poisson, or evenly
spaced with ``--arrivals even``) whatever the server does, over as many connections as
needed, and each latency is timed from the request's scheduled time, not its actual
send, so queueing shows (no coordinated omission). Per workload and rate it prints the
target rate, the achieved throughput (2xx answers per second of the step), p50/p95/p99,
and the answers that were not 2xx: 503 with ``Retry-After`` counted as shed, any other
5xx as a failure, 4xx by status, timeouts and connection errors. Then the highest rate
each sustains (p95 under 100 ms, every answer 2xx) and Agora's as a share of the floor's,
and an overload step above the last rate tried, where any 5xx but a 503 with
``Retry-After`` is a bug. Figures, not verdicts; the machine's load is printed beside them.

    .venv/bin/python bench/load.py --quick
    .venv/bin/python bench/load.py --workers 1,2 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import hashlib
import itertools
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]

# Within the p95 a rate must hold to count as sustained, in seconds.
P95_BUDGET = 0.100
# The goal, Agora's sustained rate as a share of the floor's: half for reads, a
# quarter for creation; none for ``preferences``, which measures the framework alone.
GOALS = {"create": 0.25, "preferences": None}
FLOOR_QUEUE = "bench:load:floor-queue"
WORDS = (
    "river stone cloud ember maple quartz harbor meadow lantern willow copper falcon "
    "orchard glacier thistle beacon canyon sparrow juniper tide marble prairie cedar kettle"
).split()


def status_text(rng: random.Random, n: int) -> str:
    """A post of nine words drawn at random: no two posts of a run share their text.

    Posts that differ only in digits are one text to moderation's copy-paste rule
    (``apps.moderation.assessors.spam``), and the same text from several accounts within
    its window is queued for review as spam: with two varying words out of twelve, half the
    bench's posts once were, and creation measured moderation's case path, not a post.
    """
    return f"load test {n}: " + " ".join(rng.choice(WORDS) for _ in range(9))


# ---------------------------------------------------------------------------------------
# The floor: a bare ASGI application (no Django, no DRF), run by uvicorn like Agora.
# Everything it needs comes from the environment: FLOOR_DATABASE_URL, FLOOR_REDIS_URL,
# FLOOR_POOL_SIZE. JSON is the standard library's json (what DRF's JSONRenderer uses).
# ---------------------------------------------------------------------------------------

_floor: dict = {}
_floor_lock: asyncio.Lock | None = None

_ACCOUNT_COLUMNS = (
    "a.id, a.username, a.display_name, a.locked, a.bot, a.discoverable, a.date_joined, a.note, "
    "a.followers_count, a.following_count, a.statuses_count"
)
_STATUS_COLUMNS = (
    "s.id, s.created_at, s.in_reply_to_id, s.in_reply_to_account_id, s.sensitive, "
    "s.spoiler_text, s.visibility, s.language, s.content, s.replies_count, s.reblogs_count, "
    f"s.favourites_count, s.edited_at, {_ACCOUNT_COLUMNS}"
)
_STATUS_JOIN = "feed_status s JOIN accounts_user a ON a.id = s.account_id"


async def _floor_state() -> dict:
    global _floor_lock
    if _floor:
        return _floor
    if _floor_lock is None:
        _floor_lock = asyncio.Lock()
    async with _floor_lock:
        if not _floor:
            import redis.asyncio
            from psycopg_pool import AsyncConnectionPool

            size = int(os.environ.get("FLOOR_POOL_SIZE", "4"))
            pool = AsyncConnectionPool(
                os.environ["FLOOR_DATABASE_URL"],
                min_size=1,
                max_size=size,
                timeout=2.0,
                open=False,
            )
            await pool.open()
            _floor["redis"] = redis.asyncio.Redis.from_url(os.environ["FLOOR_REDIS_URL"])
            _floor["pool"] = pool
            _floor["sequence"] = itertools.count(random.getrandbits(12))
    return _floor


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _account_entity(row) -> dict:
    """A Mastodon Account entity from the ``_ACCOUNT_COLUMNS``."""
    (account_id, username, display_name, locked, bot, discoverable, joined, note, followers,
     following, statuses) = row  # fmt: skip
    url = f"https://agora.example/@{username}"
    return {
        "id": str(account_id),
        "username": username,
        "acct": username,
        "display_name": display_name,
        "locked": locked,
        "bot": bot,
        "discoverable": discoverable,
        "indexable": discoverable,
        "group": False,
        "created_at": _iso(joined),
        "note": note,
        "url": url,
        "uri": url,
        "avatar": "https://agora.example/static/avatars/original/missing.png",
        "avatar_static": "https://agora.example/static/avatars/original/missing.png",
        "header": "https://agora.example/static/headers/original/missing.png",
        "header_static": "https://agora.example/static/headers/original/missing.png",
        "followers_count": followers,
        "following_count": following,
        "statuses_count": statuses,
        "last_status_at": None,
        "hide_collections": False,
        "emojis": [],
        "fields": [],
        "roles": [],
    }


def _status_entity(row) -> dict:
    """A Mastodon Status entity with the keys and shape Agora's serializer answers."""
    (id_, created, reply_id, reply_account, sensitive, spoiler, visibility, language, content,
     replies, reblogs, favourites, edited) = row[:13]  # fmt: skip
    account = _account_entity(row[13:])
    return {
        "id": str(id_),
        "created_at": _iso(created),
        "in_reply_to_id": reply_id and str(reply_id),
        "in_reply_to_account_id": reply_account and str(reply_account),
        "sensitive": sensitive,
        "spoiler_text": spoiler,
        "visibility": visibility,
        "language": language,
        "uri": f"{account['uri']}/statuses/{id_}",
        "url": f"{account['url']}/{id_}",
        "replies_count": replies,
        "reblogs_count": reblogs,
        "favourites_count": favourites,
        "quotes_count": 0,
        "edited_at": _iso(edited),
        "favourited": False,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "content": content,
        "filtered": [],
        "reblog": None,
        "quote": None,
        "application": None,
        "account": account,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
    }


async def _send_json(send, status: int, payload) -> None:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 503:
        headers.append((b"retry-after", b"5"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _floor_viewer(connection, scope) -> tuple | None:
    """The token lookup as django-oauth-toolkit does it: by the SHA-256 of the bearer token
    (``token_checksum``), with the application and the user, then expiry and activity.
    The viewer's row: id, then the posting defaults ``/api/v1/preferences`` answers."""
    headers = dict(scope["headers"])
    header = headers.get(b"authorization", b"").decode()
    if header[:7].lower() != "bearer ":
        return None
    checksum = hashlib.sha256(header[7:].encode()).hexdigest()
    cursor = await connection.execute(
        "SELECT t.user_id, u.default_privacy, u.default_sensitive, u.default_language, "
        "u.default_quote_policy, t.expires, t.scope, u.is_active, u.standing, app.id "
        "FROM oauth2_provider_accesstoken t JOIN accounts_user u ON u.id = t.user_id "
        "LEFT JOIN accounts_application app ON app.id = t.application_id "
        "WHERE t.token_checksum = %s",
        [checksum],
    )
    row = await cursor.fetchone()
    if row is None or row[5] < datetime.now(tz=UTC) or not row[7] or row[8] != "none":
        return None
    return row[:5]


async def _floor_page(connection, ids: list[int]) -> list[dict]:
    cursor = await connection.execute(
        f"SELECT {_STATUS_COLUMNS} FROM {_STATUS_JOIN} WHERE s.id = ANY(%s) ORDER BY s.id DESC",  # noqa: S608
        [ids],
    )
    return [_status_entity(row) for row in await cursor.fetchall()]


async def _floor_handle(state: dict, method: str, path: str, scope, receive):
    """(status, payload) for one request: the same data operations as Agora's view."""
    parts = path.strip("/").split("/")
    async with state["pool"].connection() as connection:
        viewer_row = await _floor_viewer(connection, scope)
        if viewer_row is None:
            return 401, {"error": "The access token is invalid"}
        viewer = viewer_row[0]
        if method == "GET" and path == "/api/v1/preferences":
            return 200, {
                "posting:default:visibility": viewer_row[1],
                "posting:default:sensitive": viewer_row[2],
                "posting:default:language": viewer_row[3] or None,
                "posting:default:quote_policy": viewer_row[4],
                "reading:expand:media": "default",
                "reading:expand:spoilers": False,
                "reading:autoplay:gifs": False,
            }
        if method == "GET" and path == "/api/v1/timelines/home":
            members = await state["redis"].zrevrangebyscore(
                f"feed:home:{viewer}", "+inf", "-inf", start=0, num=20
            )
            return 200, await _floor_page(connection, [int(m) for m in members])
        if method == "GET" and path == "/api/v1/timelines/public":
            cursor = await connection.execute(
                f"SELECT {_STATUS_COLUMNS} FROM {_STATUS_JOIN} WHERE s.visibility = 'public' "  # noqa: S608
                "AND s.reblog_of_id IS NULL AND s.moderation_state = 'visible' AND NOT s.members_only "
                "AND a.is_active AND a.standing = 'none' "
                "ORDER BY s.id DESC LIMIT 20"
            )
            return 200, [_status_entity(row) for row in await cursor.fetchall()]
        if method == "GET" and path == "/api/v1/notifications":
            cursor = await connection.execute(
                "SELECT n.id, n.type, n.created_at, n.group_key, n.status_id, "  # noqa: S608
                f"{_ACCOUNT_COLUMNS} FROM feed_notification n "
                "JOIN accounts_user a ON a.id = n.from_account_id "
                "WHERE n.account_id = %s AND NOT n.filtered ORDER BY n.id DESC LIMIT 20",
                [viewer],
            )
            rows = await cursor.fetchall()
            statuses = {
                int(s["id"]): s for s in await _floor_page(connection, [r[4] for r in rows if r[4]])
            }
            return 200, [
                {
                    "id": str(row[0]),
                    "type": row[1],
                    "created_at": _iso(row[2]),
                    "group_key": row[3],
                    "account": _account_entity(row[5:]),
                    "status": statuses.get(row[4]),
                }
                for row in rows
            ]
        if method == "POST" and path == "/api/v1/statuses":
            text = json.loads(await _read_body(receive) or b"{}").get("status", "")
            now = datetime.now(tz=UTC)
            status_id = (int(now.timestamp() * 1000) << 16) | (next(state["sequence"]) & 0xFFFF)
            async with connection.transaction():
                await connection.execute(
                    "INSERT INTO feed_status (id, created_at, updated_at, account_id, text, "
                    "content, spoiler_text, sensitive, language, visibility, application_name, "
                    "moderation_state, moderation_reason, favourites_count, reblogs_count, "
                    "replies_count, quote_approval_policy, quotes_count, members_only, "
                    "extensions) VALUES (%s, %s, %s, %s, %s, %s, '', false, 'en', 'public', "
                    "'', 'visible', '', 0, 0, 0, 0, 0, false, '{}')",
                    [status_id, now, now, viewer, text, f"<p>{text}</p>"],
                )
            await _floor_enqueue(state, "feed.fanout", status_id)
            return 200, (await _floor_page(connection, [status_id]))[0]
        if method == "POST" and len(parts) == 5 and parts[4] == "favourite":
            status_id = int(parts[3])
            async with connection.transaction():
                cursor = await connection.execute(
                    "INSERT INTO feed_favourite (account_id, status_id, created_at) "
                    "VALUES (%s, %s, now()) ON CONFLICT DO NOTHING RETURNING id",
                    [viewer, status_id],
                )
                if await cursor.fetchone():
                    await connection.execute(
                        "UPDATE feed_status SET favourites_count = favourites_count + 1 "
                        "WHERE id = %s",
                        [status_id],
                    )
            await _floor_enqueue(state, "feed.notify", status_id)
            page = await _floor_page(connection, [status_id])
            if not page:
                return 404, {"error": "Record not found"}
            return 200, page[0]
    return 404, {"error": "Record not found"}


async def _floor_enqueue(state: dict, task: str, status_id: int) -> None:
    """An enqueue as Celery's Redis transport makes it: one LPUSH of a JSON message
    (to a queue of the bench's own, which no worker reads)."""
    message = {
        "body": {"args": [], "kwargs": {"status_id": status_id}},
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {"lang": "py", "task": task, "id": f"{status_id:x}", "retries": 0},
        "properties": {"delivery_mode": 2, "delivery_tag": f"{status_id:x}", "priority": 0},
    }
    await state["redis"].lpush(FLOOR_QUEUE, json.dumps(message))


async def floor_app(scope, receive, send) -> None:
    """The floor, a plain ASGI application: ``uvicorn load:floor_app --app-dir bench``."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/healthz":
        await _send_json(send, 200, {"status": "ok"})
        return
    try:
        state = await _floor_state()
        status, payload = await _floor_handle(state, scope["method"], scope["path"], scope, receive)
    except Exception as exc:  # the floor sheds like Agora: 503 with Retry-After
        status, payload = 503, {"error": type(exc).__name__}
    await _send_json(send, status, payload)


# ---------------------------------------------------------------------------------------
# Setup: the scratch database, its data, tokens and feeds; the processes.
# ---------------------------------------------------------------------------------------

SIZES = {
    # accounts, statuses, viewers with tokens, favourites
    "full": (3_000, 100_000, 1_000, 60_000),
    "quick": (400, 8_000, 100, 4_000),
}


def copy_objects(model, objects) -> int:
    """COPY unsaved model instances into their table, every concrete column as the ORM
    would write it (defaults, ``auto_now``, JSON), without the ORM's per-row cost."""
    from django.db import connection

    fields = [
        f for f in model._meta.concrete_fields
        if not (f.primary_key and f.get_internal_type() in ("AutoField", "BigAutoField"))
    ]  # fmt: skip
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        with raw.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            for instance in objects:
                # A value set on the instance is kept (pre_save's add=False), else filled in.
                copy.write_row(
                    [
                        f.get_db_prep_save(
                            f.pre_save(instance, getattr(instance, f.attname) is None), connection
                        )
                        for f in fields
                    ]
                )
                count += 1
    return count


@dataclass
class Population:
    accounts: list[int]
    viewers: list[int]
    tokens: list[str]
    favourite_targets: list[int]
    counts: dict[str, int] = field(default_factory=dict)


def generate(
    *, accounts: int, statuses: int, viewers: int, favourites: int, seed: int
) -> Population:
    """Accounts (power-law follows), statuses over 30 days, favourites with their
    notifications, mentions and follows notified, tokens for the viewers, and the
    viewers' home feeds in the store, all as production would hold them."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from apps.feed import fanout
    from apps.feed.models import Favourite, Follow, Notification, Status

    User = get_user_model()
    rng = random.Random(seed)
    now = datetime.now(tz=UTC)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_user RESTART IDENTITY CASCADE")
        cursor.execute("TRUNCATE core_outboxevent")
    joined = now - timedelta(days=400)
    unusable = make_password(None)
    copy_objects(
        User,
        (
            User(username=f"load{i}", display_name=f"Load {i}", note="<p>A bench account</p>",
                 password=unusable, date_joined=joined)
            for i in range(accounts)
        ),
    )  # fmt: skip
    ids = list(User.objects.order_by("id").values_list("id", flat=True))
    weights = list(itertools.accumulate(1 / (rank + 1) ** 1.1 for rank in range(accounts)))

    def popular() -> int:
        return ids[min(accounts - 1, bisect.bisect(weights, rng.random() * weights[-1]))]

    follows = set()
    for follower in ids:
        for _ in range(min(accounts - 1, int(10 / (rng.random() ** 0.7)))):
            target = popular()
            if target != follower:
                follows.add((follower, target))
    copy_objects(Follow, (Follow(account_id=a, target_id=t, created_at=now) for a, t in follows))

    start_ms = int((now - timedelta(days=30)).timestamp() * 1000)
    stamps = sorted(rng.randrange(30 * 24 * 3600 * 1000) for _ in range(statuses))
    visibilities = ["public"] * 8 + ["unlisted", "private"]
    authors: dict[int, int] = {}

    def status_objects():
        for sequence, offset in enumerate(stamps):
            moment = start_ms + offset
            created = datetime.fromtimestamp(moment / 1000, tz=UTC)
            status_id = (moment << 16) | (sequence & 0xFFFF)
            authors[status_id] = popular()
            text = status_text(rng, sequence)
            status = Status(
                id=status_id, account_id=authors[status_id], text=text, content=f"<p>{text}</p>",
                language="en", visibility=rng.choice(visibilities),
            )  # fmt: skip
            status.created_at = status.updated_at = created
            yield status

    copy_objects(Status, status_objects())
    status_ids = sorted(authors)

    # Favourites lean to recent statuses; each notifies the author (as the service does).
    recent = status_ids[-max(1, statuses // 5) :]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < favourites:
        pool = recent if rng.random() < 0.7 else status_ids
        pairs.add((rng.choice(ids), rng.choice(pool)))
    copy_objects(Favourite, (Favourite(account_id=a, status_id=s) for a, s in pairs))
    viewer_ids = rng.sample(ids, viewers)
    hour = now.strftime("%Y%m%d%H")
    notifications = [
        Notification(account_id=authors[s], from_account_id=a, type="favourite", status_id=s,
                     group_key=f"favourite-{s}-{hour}")
        for a, s in pairs
        if authors[s] != a
    ]  # fmt: skip
    # Every viewer has mentions and new followers too, so each has full pages.
    for viewer in viewer_ids:
        for status_id in rng.sample(recent, min(len(recent), 15)):
            notifications.append(
                Notification(account_id=viewer, from_account_id=authors[status_id],
                             type="mention", status_id=status_id)
            )  # fmt: skip
        for follower in rng.sample(ids, min(len(ids), 10)):
            notifications.append(
                Notification(account_id=viewer, from_account_id=follower, type="follow")
            )
    for notification in notifications:
        notification.group_key = notification.group_key or f"ungrouped-{notification.pk}"
    copy_objects(Notification, notifications)
    with connection.cursor() as cursor:
        for table, column, key, counted in (
            ("feed_status", "favourites_count", "status_id", "feed_favourite"),
            ("accounts_user", "followers_count", "target_id", "feed_follow"),
            ("accounts_user", "following_count", "account_id", "feed_follow"),
            ("accounts_user", "statuses_count", "account_id", "feed_status"),
        ):
            cursor.execute(
                f"UPDATE {table} t SET {column} = c.n FROM (SELECT {key}, count(*) n "  # noqa: S608
                f"FROM {counted} GROUP BY {key}) c WHERE t.id = c.{key}"
            )
        cursor.execute("ANALYZE")

    tokens = make_tokens(viewer_ids, rng)

    # The store as production holds it: every account active, every viewer's feed filled
    # (what fan-out on write leaves, rebuilt here from the database's home query).
    fanout.client().flushdb()
    fanout.mark_active(ids)
    for viewer in User.objects.filter(pk__in=viewer_ids):
        fanout.rebuild(viewer=viewer)

    public_recent = list(
        Status.objects.filter(visibility="public")
        .order_by("-id")
        .values_list("id", flat=True)[:5000]
    )
    return Population(
        accounts=ids,
        viewers=viewer_ids,
        tokens=tokens,
        favourite_targets=public_recent,
        counts={
            "accounts": accounts,
            "follows": Follow.objects.count(),
            "statuses": Status.objects.count(),
            "favourites": Favourite.objects.count(),
            "notifications": Notification.objects.count(),
            "viewers with tokens": len(viewer_ids),
        },
    )


def make_tokens(viewer_ids: list[int], rng: random.Random) -> list[str]:
    """One OAuth access token per viewer (read write follow), stored as
    django-oauth-toolkit stores them (found by the SHA-256 of the token)."""
    from oauth2_provider.models import get_access_token_model, get_application_model

    application, _created = get_application_model().objects.get_or_create(
        name="load bench",
        defaults={
            "client_type": "confidential",
            "authorization_grant_type": "password",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
        },
    )
    token_model = get_access_token_model()
    expires = datetime.now(tz=UTC) + timedelta(days=1)
    raw = [f"load-{viewer}-{rng.getrandbits(96):024x}" for viewer in viewer_ids]
    token_model.objects.bulk_create(
        [
            token_model(
                user_id=viewer,
                application=application,
                token=token,
                token_checksum=hashlib.sha256(token.encode()).hexdigest(),
                expires=expires,
                scope="read write follow",
            )
            for viewer, token in zip(viewer_ids, raw, strict=True)
        ],
        batch_size=1000,
    )
    return raw


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(process: subprocess.Popen, port: int, what: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            probe = HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    sys.exit(f"{what} did not answer /healthz within 90 s (exit code {process.poll()})")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Servers:
    agora: subprocess.Popen
    agora_port: int
    floor: subprocess.Popen
    floor_port: int
    worker: subprocess.Popen

    def stop(self) -> None:
        for process in (self.agora, self.floor, self.worker):
            stop(process)


def agora_environment(options) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": options.secret,
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": options.database_url,
        "REDIS_URL": options.redis,
        "CELERY_BROKER_URL": options.redis,
        "DATABASE_POOL_MAX_SIZE": str(options.pool),
        # The bench's few thousand accounts ask far more than their plans' budgets.
        "AGORA_THROTTLE_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }


def start_servers(options, workers: int, log_dir: Path) -> Servers:
    env = agora_environment(options)
    agora_port, floor_port = free_port(), free_port()
    uvicorn = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--workers", str(workers),
               "--lifespan", "off", "--log-level", "warning", "--no-access-log",
               "--no-proxy-headers", "--timeout-graceful-shutdown", "20"]  # fmt: skip
    agora = subprocess.Popen(
        [*uvicorn, "config.asgi:application", "--app-dir", "platform", "--port", str(agora_port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=(log_dir / f"agora-{workers}.log").open("ab"),
    )  # fmt: skip
    floor = subprocess.Popen(
        [*uvicorn, "load:floor_app", "--app-dir", "bench", "--port", str(floor_port)],
        cwd=ROOT,
        env={
            **os.environ,
            "FLOOR_DATABASE_URL": options.database_url,
            "FLOOR_REDIS_URL": options.redis,
            "FLOOR_POOL_SIZE": str(options.pool),
        },
        stdout=subprocess.DEVNULL,
        stderr=(log_dir / f"floor-{workers}.log").open("ab"),
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "--workdir", "platform", "-A", "config", "worker",
         "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=(log_dir / f"celery-{workers}.log").open("ab"),
    )  # fmt: skip
    servers = Servers(agora, agora_port, floor, floor_port, worker)
    wait_healthy(agora, agora_port, "Agora")
    wait_healthy(floor, floor_port, "the floor")
    return servers


# ---------------------------------------------------------------------------------------
# The open-loop generator.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    token: str
    body: bytes | None = None


class Workloads:
    """Each workload's next request, drawn from the population with a seeded generator."""

    MIXED = (("home", 0.55), ("notifications", 0.15), ("public", 0.10),
             ("favourite", 0.12), ("create", 0.08))  # fmt: skip
    # ``preferences`` is the framework's own cost: the token check and a few of the
    # viewer's columns, no other data, so Agora's time over the floor's there is what
    # Django, DRF, the middleware and the ASGI handler add to every request.
    NAMES = ("preferences", "home", "public", "notifications", "create", "favourite", "mixed")

    def __init__(self, population: Population, seed: int):
        self.population = population
        self.rng = random.Random(seed)
        self.sequence = itertools.count()
        self.mixed_names = [name for name, _weight in self.MIXED]
        self.mixed_weights = list(itertools.accumulate(w for _name, w in self.MIXED))

    def next(self, workload: str) -> Request:
        token = self.rng.choice(self.population.tokens)
        if workload == "mixed":
            workload = self.mixed_names[
                bisect.bisect(self.mixed_weights, self.rng.random() * self.mixed_weights[-1])
            ]
        if workload == "preferences":
            return Request("GET", "/api/v1/preferences", token)
        if workload == "home":
            return Request("GET", "/api/v1/timelines/home", token)
        if workload == "public":
            return Request("GET", "/api/v1/timelines/public", token)
        if workload == "notifications":
            return Request("GET", "/api/v1/notifications", token)
        if workload == "create":
            text = status_text(self.rng, next(self.sequence))
            body = json.dumps({"status": text, "visibility": "public"}).encode()
            return Request("POST", "/api/v1/statuses", token, body)
        if workload == "favourite":
            status_id = self.rng.choice(self.population.favourite_targets)
            return Request("POST", f"/api/v1/statuses/{status_id}/favourite", token)
        raise ValueError(workload)


@dataclass
class Step:
    target: str
    workload: str
    rate: float
    duration: float
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    body_bytes: int = 0
    samples: list[str] = field(default_factory=list)
    streamed: int = 0
    # CPU milliseconds per answered request, by part (CpuMeter.PARTS), when measured.
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return self.outcomes["2xx"]

    @property
    def errors(self) -> int:
        return sum(n for kind, n in self.outcomes.items() if kind != "2xx")

    @property
    def failures(self) -> int:
        """5xx that are not a 503 with Retry-After: bugs."""
        return sum(
            n for kind, n in self.outcomes.items() if kind.startswith("5") and kind != "503+RA"
        )

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return math.inf
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def sustained(self) -> bool:
        return self.errors == 0 and self.percentile(0.95) < P95_BUDGET


def classify(status: int, headers) -> str:
    if 200 <= status < 300:
        return "2xx"
    if status == 503 and headers.get("Retry-After"):
        return "503+RA"
    return str(status)


async def send(session, base: str, request: Request, timeout):
    """(status, headers, body) of one request."""
    headers = {"Authorization": f"Bearer {request.token}"}
    if request.body is not None:
        headers["Content-Type"] = "application/json"
    async with session.request(
        request.method, base + request.path, data=request.body, headers=headers, timeout=timeout
    ) as response:
        return response.status, response.headers, await response.read()


async def warm_up(session, base: str, workloads: Workloads, workload: str, options, workers: int):
    """Unmeasured requests for ``--warmup`` seconds, a few at a time, so that every worker
    process has imported, connected and cached what its first requests pay for."""
    import aiohttp

    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.warmup
    timeout = aiohttp.ClientTimeout(total=options.timeout)

    async def client() -> None:
        while loop.time() < deadline:
            with contextlib.suppress(TimeoutError, aiohttp.ClientError):
                await send(session, base, workloads.next(workload), timeout)

    await asyncio.gather(*(client() for _ in range(2 * workers)))


class CpuMeter:
    """CPU seconds each part of the system under test used, read from ``/proc`` (Linux).

    The parts: the ASGI server being driven (its process tree), the Celery worker (its
    tree), PostgreSQL and Redis (every process of theirs on the machine). A process that
    exited between two readings takes its CPU time with it (a PostgreSQL backend whose
    connection closed), so a part that churns processes reads low. Elsewhere than Linux
    it reads nothing, and no CPU line is printed.
    """

    PARTS = ("server", "worker", "postgres", "redis")

    def __init__(self, *, server: int, worker: int):
        self.roots = {"server": server, "worker": worker}

    @staticmethod
    def _processes() -> dict[int, tuple[str, int, float]]:
        """pid -> (command name, parent pid, CPU seconds) of every process readable."""
        found = {}
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        for entry in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                text = entry.read_text()
                name = text[text.index("(") + 1 : text.rindex(")")]
                fields = text[text.rindex(")") + 2 :].split()
                found[int(entry.parent.name)] = (
                    name, int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
                )  # fmt: skip
        return found

    def read(self) -> dict[str, dict[int, float]]:
        """Each part's processes now: pid -> CPU seconds."""
        processes = self._processes()
        children: dict[int, list[int]] = {}
        for pid, (_name, parent, _cpu) in processes.items():
            children.setdefault(parent, []).append(pid)

        def tree(root: int) -> list[int]:
            pids, todo = [], [root]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(children.get(pid, ()))
            return pids

        parts = {part: {pid: processes[pid][2] for pid in tree(root) if pid in processes}
                 for part, root in self.roots.items()}  # fmt: skip
        parts["postgres"] = {
            pid: cpu for pid, (name, _p, cpu) in processes.items() if name == "postgres"
        }
        parts["redis"] = {
            pid: cpu
            for pid, (name, _p, cpu) in processes.items()
            if name.startswith("redis-server")
        }
        return parts

    def per_request(self, before: dict[str, dict[int, float]], requests: int) -> dict[str, float]:
        """CPU milliseconds per request each part used since ``before`` (by the processes
        alive now: one that exited in between is not counted, one started is whole)."""
        if not requests or not any(before.values()):
            return {}
        after = self.read()
        return {
            part: sum(cpu - before[part].get(pid, 0.0) for pid, cpu in after[part].items())
            * 1000
            / requests
            for part in self.PARTS
        }


async def run_step(session, base: str, workloads: Workloads, step: Step, options) -> Step:
    """Send ``step.rate`` requests a second for ``step.duration`` seconds at arrival times
    fixed in advance; each latency runs from its scheduled time to the end of its answer."""
    import aiohttp

    loop = asyncio.get_running_loop()
    rng = random.Random(f"{options.seed}-{step.workload}-{step.rate}")
    arrivals, moment = [], 0.0
    while True:
        if options.arrivals == "poisson":
            moment += rng.expovariate(step.rate)
        else:
            moment += 1 / step.rate
        if moment >= step.duration:
            break
        arrivals.append(moment)
    requests = [workloads.next(step.workload) for _ in arrivals]
    timeout = aiohttp.ClientTimeout(total=options.timeout)

    async def one(request: Request, scheduled: float) -> None:
        try:
            status, headers, body = await send(session, base, request, timeout)
        except TimeoutError:
            step.outcomes["timeout"] += 1
            return
        except aiohttp.ClientError as exc:
            step.outcomes[f"conn:{type(exc).__name__}"] += 1
            return
        step.latencies.append(loop.time() - scheduled)
        kind = classify(status, headers)
        step.outcomes[kind] += 1
        if kind == "2xx":
            step.body_bytes += len(body)
        elif step.outcomes[kind] <= 2 and len(step.samples) < 6:
            step.samples.append(
                f"{kind} {request.method} {request.path} "
                f"x-request-id={headers.get('X-Request-Id', '-')}: {body[:200]!r}"
            )

    began = loop.time() + 0.01
    tasks = []
    for request, offset in zip(requests, arrivals, strict=True):
        scheduled = began + offset
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request, scheduled)))
    await asyncio.gather(*tasks)
    step.elapsed = max(loop.time() - began, step.duration)
    return step


async def open_streams(base: str, tokens: list[str], count: int, received: Counter):
    """``count`` user streams (``/api/v1/streaming?stream=user``) held open, counting events."""
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    url = base.replace("http://", "ws://") + "/api/v1/streaming?stream=user"

    async def hold(token: str) -> None:
        try:
            async with session.ws_connect(url, headers={"Authorization": f"Bearer {token}"}) as ws:
                received["open"] += 1
                async for message in ws:
                    if message.type == aiohttp.WSMsgType.TEXT:
                        received["events"] += 1
                received["closed"] += 1
        except asyncio.CancelledError:
            raise
        except aiohttp.WSServerHandshakeError as exc:
            received[f"refused:{exc.status}"] += 1
        except Exception as exc:
            received[f"failed:{type(exc).__name__}"] += 1

    tasks = [asyncio.create_task(hold(tokens[i % len(tokens)])) for i in range(count)]
    for _ in range(100):
        if received["open"] + sum(n for k, n in received.items() if ":" in k) >= count:
            break
        await asyncio.sleep(0.1)
    return session, tasks


async def close_streams(session, tasks) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await session.close()


def queue_length(options) -> int:
    """Tasks waiting on every queue a worker consumes (the default, media, moderation)."""
    import redis

    broker = redis.Redis.from_url(options.redis)
    return sum(broker.llen(queue) for queue in ("celery", "media", "moderation"))


async def settle(options) -> None:
    """Wait (up to 60 s) for the Celery queues to empty, so a step does not pay for the
    previous one's fan-out, and a step's CPU includes the work it queued."""
    for _ in range(600):
        if queue_length(options) == 0:
            return
        await asyncio.sleep(0.1)


async def idle(meter: CpuMeter, *, limit: float = 120.0) -> float:
    """Wait until the server driven is idle (under 5% of a core for half a second), up to
    ``limit`` seconds; the seconds waited. An overload step leaves requests its clients gave
    up on, and the next workload's first rate must not pay for them (it once measured 101 ms
    of CPU a public timeline page, served two seconds late)."""
    started = time.monotonic()
    before = sum(meter.read()["server"].values())
    while time.monotonic() - started < limit:
        await asyncio.sleep(0.5)
        now = sum(meter.read()["server"].values())
        if now - before < 0.025:
            break
        before = now
    return time.monotonic() - started


def report_step(step: Step) -> None:
    outcomes = {k: n for k, n in sorted(step.outcomes.items()) if k != "2xx"}
    errors = " ".join(f"{k}:{n}" for k, n in outcomes.items()) or "-"
    size = step.body_bytes / step.ok if step.ok else 0
    streamed = f"  streamed {step.streamed}" if step.streamed else ""
    print(
        f"  {step.target:5} {step.rate:7.0f}/s  done {step.ok / step.elapsed:7.1f}/s  "
        f"p50 {step.percentile(0.5) * 1000:7.1f}  p95 {step.percentile(0.95) * 1000:7.1f}  "
        f"p99 {step.percentile(0.99) * 1000:7.1f} ms  {'ok ' if step.sustained else 'NO '} "
        f"errors {errors}  ~{size / 1024:.1f} KiB{streamed}",
        flush=True,
    )
    if step.cpu:
        print(
            "        cpu ms/request: "
            + "  ".join(f"{part} {step.cpu[part]:.1f}" for part in CpuMeter.PARTS)
            + f"  total {sum(step.cpu.values()):.1f}"
        )
    for sample in step.samples:
        print(f"        {sample}")


async def ramp(session, base: str, target: str, workload: str, workloads: Workloads, options,
               streams: Counter | None, meter: CpuMeter) -> list[Step]:  # fmt: skip
    """The rates in turn, until two steps fail (p95 over budget or any answer not 2xx).

    Each step's CPU is read from its start until the queues it filled are empty."""
    steps, failed = [], 0
    for rate in options.rates:
        await settle(options)
        before = streams["events"] if streams is not None else 0
        cpu_before = meter.read()
        step = await run_step(
            session, base, workloads, Step(target, workload, rate, options.duration), options
        )
        await settle(options)
        step.cpu = meter.per_request(cpu_before, step.ok)
        if streams is not None:
            step.streamed = streams["events"] - before
        report_step(step)
        steps.append(step)
        failed += not step.sustained
        if failed >= 2:
            break
    return steps


def sustainable(steps: list[Step]) -> float:
    """The highest rate sustained (p95 within budget, every answer 2xx); 0 if none was."""
    return max((step.rate for step in steps if step.sustained), default=0.0)


def load_average() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


async def measure(options, population: Population, servers: Servers, workers: int) -> list[dict]:
    import aiohttp

    rows = []
    for workload in options.workloads:
        stream_failures = 0
        print(f"\n{workload} ({workers} worker{'s' * (workers > 1)}; {load_average()})", flush=True)
        results: dict[str, list[Step]] = {}
        for target, port, server in (
            ("agora", servers.agora_port, servers.agora),
            ("floor", servers.floor_port, servers.floor),
        ):
            base = f"http://127.0.0.1:{port}"
            meter = CpuMeter(server=server.pid, worker=servers.worker.pid)
            workloads = Workloads(population, options.seed)
            connector = aiohttp.TCPConnector(limit=options.connections)
            async with aiohttp.ClientSession(connector=connector) as session:
                streams, stream_handles = None, None
                if workload == "mixed" and target == "agora" and options.streams:
                    streams = Counter()
                    stream_handles = await open_streams(
                        base, population.tokens, options.streams, streams
                    )
                    print(f"  agora streaming: {dict(streams)} of {options.streams} user streams")
                    stream_failures = sum(
                        n for kind, n in streams.items()
                        if kind.startswith(("refused:5", "failed:")) and kind != "refused:503"
                    )  # fmt: skip
                try:
                    await warm_up(session, base, workloads, workload, options, workers)
                    results[target] = await ramp(
                        session, base, target, workload, workloads, options, streams, meter
                    )
                finally:
                    if stream_handles is not None:
                        await close_streams(*stream_handles)
        agora_rate, floor_rate = sustainable(results["agora"]), sustainable(results["floor"])
        share = agora_rate / floor_rate if floor_rate else math.nan
        print(
            f"  sustained (p95 < {P95_BUDGET * 1000:.0f} ms, no errors): agora {agora_rate:.0f}/s, "
            f"floor {floor_rate:.0f}/s, agora / floor {share:.2f}"
        )

        # Overload: well above the last rate tried; only 503 with Retry-After may answer 5xx.
        overload_rate = options.overload * max(s.rate for s in results["agora"])
        await settle(options)
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=options.connections)
        ) as session:
            step = await run_step(
                session, f"http://127.0.0.1:{servers.agora_port}", Workloads(population, options.seed + 1),
                Step("over", workload, overload_rate, options.duration), options,
            )  # fmt: skip
        report_step(step)
        busy = await idle(CpuMeter(server=servers.agora.pid, worker=servers.worker.pid))
        print(
            f"  overload at {overload_rate:.0f}/s: 5xx other than 503+Retry-After: {step.failures}, "
            f"shed (503+Retry-After): {step.outcomes['503+RA']}; Agora busy {busy:.1f} s after it"
        )
        if stream_failures:
            print(f"  user streams refused with a 5xx other than 503, or failed: {stream_failures}")
        rows.append(
            {
                "workers": workers, "workload": workload, "agora": agora_rate, "floor": floor_rate,
                "share": share, "overload_failures": step.failures + stream_failures,
                "overload_shed": step.outcomes["503+RA"], "overload_rate": overload_rate,
            }
        )  # fmt: skip
    return rows


# ---------------------------------------------------------------------------------------


def database_admin(database_url: str):
    import psycopg

    parts = urlsplit(database_url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
        user=parts.username or "postgres", password=parts.password, dbname="postgres",
        autocommit=True,
    )  # fmt: skip


def parse_options(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: small data, two short rates per workload, one worker")  # fmt: skip
    parser.add_argument("--duration", type=float, help="seconds per rate (default 10; quick 1)")
    parser.add_argument("--rates", help="comma-separated requests/s (default 5,10,20,...,1280)")
    parser.add_argument("--workers", default=None, help="uvicorn workers, e.g. 1,2 (default 2)")
    parser.add_argument("--workloads", default=",".join(Workloads.NAMES))
    parser.add_argument("--streams", type=int, help="user streams open during mixed (default 200)")
    parser.add_argument("--pool", type=int, default=4, help="database pool per process (default 4)")
    parser.add_argument("--connections", type=int, default=1000, help="most open HTTP connections")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds before a request times out"
    )
    parser.add_argument("--overload", type=float, default=4.0,
                        help="the overload step's rate, as a multiple of the last rate tried")  # fmt: skip
    parser.add_argument(
        "--warmup", type=float, help="unmeasured seconds before each ramp (default 3; quick 1)"
    )
    parser.add_argument("--arrivals", choices=["poisson", "even"], default="poisson")
    parser.add_argument("--database", default="agora_bench_load", help="scratch database name")
    parser.add_argument("--keep-db", action="store_true", help="keep the database for the next run")
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/15", help="a Redis database of its own (flushed)"
    )
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args(argv)
    quick = options.quick
    options.duration = options.duration or (1.0 if quick else 10.0)
    options.warmup = options.warmup if options.warmup is not None else (1.0 if quick else 3.0)
    if quick:
        options.timeout = min(options.timeout, 3.0)
    options.rates = [
        float(r)
        for r in (options.rates or ("10,40" if quick else "5,10,20,40,80,160,320,640,1280")).split(
            ","
        )
    ]
    options.workers = [int(w) for w in (options.workers or ("1" if quick else "2")).split(",")]
    options.workloads = [w for w in options.workloads.split(",") if w]
    unknown = set(options.workloads) - set(Workloads.NAMES)
    if unknown:
        parser.error(f"unknown workloads: {', '.join(sorted(unknown))}")
    options.streams = options.streams if options.streams is not None else (20 if quick else 200)
    options.size = "quick" if quick else "full"
    options.database_url = f"postgres://postgres@127.0.0.1:5432/{options.database}"
    options.secret = f"bench-{random.getrandbits(128):032x}"
    return options


def main() -> None:
    options = parse_options()
    started = time.monotonic()
    print(f"bench/load.py: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, "
          f"{os.cpu_count()} cores, {load_average()}")  # fmt: skip
    with database_admin(options.database_url) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [options.database]
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{options.database}"')

    os.environ.update(
        {key: value for key, value in agora_environment(options).items() if key != "DEBUG"}
    )
    os.environ["DEBUG"] = "true"  # this process only generates data
    sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    log_dir = Path(tempfile.mkdtemp(prefix="agora-load-"))
    try:
        began = time.monotonic()
        call_command("migrate", verbosity=0)
        migrated = time.monotonic() - began
        began = time.monotonic()
        accounts, statuses, viewers, favourites = SIZES[options.size]
        population = generate(
            accounts=accounts, statuses=statuses, viewers=viewers, favourites=favourites,
            seed=options.seed,
        )  # fmt: skip
        print(
            f"database {options.database}: migrated in {migrated:.0f} s; generated in "
            f"{time.monotonic() - began:.0f} s: "
            + ", ".join(f"{n:,} {what}" for what, n in population.counts.items())
        )
        # The static files production serves, as the Dockerfile collects them (the API
        # answers without them: a failure is reported, not fatal).
        collected = subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT, env={**os.environ, "DEBUG": "false"}, capture_output=True, text=True,
        )  # fmt: skip
        if collected.returncode:
            print(
                f"collectstatic failed (the API does not need it): {collected.stderr.strip().splitlines()[-1]}"
            )
        connections.close_all()
        print(
            f"rates {', '.join(f'{r:g}' for r in options.rates)}/s, {options.duration:g} s each, "
            f"{options.arrivals} arrivals; database pool {options.pool}/process; JSON: the "
            f"floor uses the standard library's json, as DRF's renderer; logs in {log_dir}"
        )
        rows = []
        for workers in options.workers:
            servers = start_servers(options, workers, log_dir)
            try:
                rows += asyncio.run(measure(options, population, servers, workers))
            finally:
                servers.stop()
        print(f"\nsummary ({load_average()}; Agora / floor, sustainable rates)")
        print("  workers  workload        agora/s  floor/s  agora/floor  goal   overload 5xx  shed")
        for row in rows:
            goal = GOALS.get(row["workload"], 0.5)
            print(
                f"  {row['workers']:7}  {row['workload']:14} {row['agora']:8.0f} {row['floor']:8.0f} "
                f"{row['share']:12.2f}  {f'{goal:4.2f}' if goal else '   -'}  "
                f"{row['overload_failures']:12} {row['overload_shed']:5}"
            )
        failures = sum(row["overload_failures"] for row in rows)
        if failures:
            print(f"\n5xx other than 503 under overload: {failures}; tracebacks in {log_dir}")
        print(f"finished in {time.monotonic() - started:.0f} s")
    finally:
        connections.close_all()
        with contextlib.suppress(Exception):
            import redis

            redis.Redis.from_url(options.redis).flushdb()
        if not options.keep_db:
            with database_admin(options.database_url) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{options.database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
