"""Read replicas: the API's safe requests read from a streaming replica of PostgreSQL.

Configured by ``DATABASE_REPLICA_URLS`` (config/settings/database.py), which adds
``replica_1``, ``replica_2``... to ``DATABASES`` and installs :class:`ReplicaRouter`.
Without replicas neither the router nor :class:`ReplicaRoutingMiddleware` is
installed, and :func:`primary` only sets a context variable.

Where reads go:

- Only a GET, HEAD or OPTIONS request under ``/api/`` reads from a replica (there the
  selectors run for the API's reads). Everything else reads from the primary: unsafe
  requests, the admin and browser pages (their sessions are written by the request
  before), Celery tasks, management commands, the WebSocket consumers.
- Inside such a request the primary is read again as soon as the request writes
  (``db_for_write``), inside an atomic block on ``default``, and inside
  :func:`primary`, which the authentication uses: a revoked token or a suspended
  account takes effect at once, whatever a replica has replayed.
- An account that wrote (an unsafe request answered below 500) is pinned to the
  primary for ``DATABASE_REPLICA_PIN_SECONDS``, in the cache, so it reads its own
  writes. The pin is looked up once a request, when the request first reads with
  an authenticated account; a cache error reads the primary.
- A replica that is down or more than ``DATABASE_REPLICA_MAX_LAG_SECONDS`` behind is
  skipped; each process checks each replica at most every
  ``DATABASE_REPLICA_CHECK_SECONDS`` on its own short connection. A query that fails
  on a replica with a connection error marks it down at once. A request picks one of
  the healthy replicas (round robin) and keeps it; none healthy: the primary.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils.functional import SimpleLazyObject, empty
from prometheus_client import Counter, Gauge

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Only the API's reads go to replicas: browser pages and the admin read the session
# their previous request wrote, which a replica may not have replayed yet.
REPLICA_PATH_PREFIX = "/api/"
PIN_KEY = "agora:replica-pin:{account_id}"
# Seconds the health check waits to connect, and for its query.
CHECK_CONNECT_TIMEOUT = 1
CHECK_STATEMENT_TIMEOUT_MS = 1000
# How far behind the primary a replica is, in seconds: nothing to replay is 0, even
# when the last transaction replayed is old (an idle primary writes nothing).
LAG_SQL = """
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN 0
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
    END
"""

READS = Counter(
    "agora_db_replica_reads_total",
    "SELECT statements run on the primary or on a read replica (counted while replicas "
    "are configured).",
    ["target"],
)
LAG = Gauge(
    "agora_db_replica_lag_seconds",
    "How far each read replica is behind the primary, as this process last checked.",
    ["alias"],
)
HEALTHY = Gauge(
    "agora_db_replica_healthy",
    "1 while this process reads from the replica, 0 while it skips it (down or lagging).",
    ["alias"],
)


@dataclass
class _RequestRouting:
    """Where the current request reads (one per request, in a context variable)."""

    replica_reads: bool
    account_id: int | None = None
    pin_checked: bool = False
    on_primary: bool = False
    # The replica this request reads from, "" for none, None until the first read.
    alias: str | None = None


_request: ContextVar[_RequestRouting | None] = ContextVar("agora_replica_routing", default=None)
_forced_primary: ContextVar[bool] = ContextVar("agora_replica_forced_primary", default=False)


@contextmanager
def primary() -> Iterator[None]:
    """Read from the primary inside this block (authentication: no replica lag there)."""
    token = _forced_primary.set(True)
    try:
        yield
    finally:
        _forced_primary.reset(token)


def account_authenticated(account_id: int) -> None:
    """Note the request's account, so its pin is looked up before it reads a replica."""
    state = _request.get()
    if state is not None:
        state.account_id = account_id


def pin_account(account_id: int) -> None:
    """Keep ``account_id``'s reads on the primary for ``DATABASE_REPLICA_PIN_SECONDS``.

    A cache error is logged, not raised: the write it follows has happened.
    """
    try:
        cache.set(
            PIN_KEY.format(account_id=account_id),
            1,
            timeout=settings.DATABASE_REPLICA_PIN_SECONDS,
        )
    except Exception:  # the cache's errors depend on its backend
        logger.warning("Could not pin account %s to the primary", account_id, exc_info=True)


def _account_is_pinned(account_id: int) -> bool:
    try:
        return cache.get(PIN_KEY.format(account_id=account_id)) is not None
    except Exception:  # a cache we cannot read: the primary is always right
        logger.warning("Could not read the replica pin of account %s", account_id, exc_info=True)
        return True


def read_alias() -> str:
    """The database the current context reads from (``default`` or a replica alias)."""
    state = _request.get()
    if state is None or not state.replica_reads or state.on_primary or _forced_primary.get():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if state.account_id is not None and not state.pin_checked:
        state.pin_checked = True
        if _account_is_pinned(state.account_id):
            state.on_primary = True
            return DEFAULT_DB_ALIAS
    if state.alias is None:
        state.alias = health.choose() or ""
    if not state.alias or not health.is_usable(state.alias):
        return DEFAULT_DB_ALIAS
    return state.alias


class ReplicaRouter:
    """Reads as :func:`read_alias` says; writes and migrations on the primary."""

    def db_for_read(self, model, **hints) -> str:
        return read_alias()

    def db_for_write(self, model, **hints) -> str:
        state = _request.get()
        if state is not None:
            # The rest of the request reads what it wrote.
            state.on_primary = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


@dataclass
class _Status:
    checked_at: float
    usable: bool
    lag: float | None = None


@dataclass
class ReplicaHealth:
    """Each replica's health as this process last checked it (at most every CHECK_SECONDS)."""

    statuses: dict[str, _Status] = field(default_factory=dict)
    checking: dict[str, threading.Lock] = field(default_factory=dict)
    turns: Iterator[int] = field(default_factory=itertools.count)

    def choose(self) -> str | None:
        """A usable replica, round robin among them; None when there is none."""
        usable = [alias for alias in settings.DATABASE_REPLICAS if self.is_usable(alias)]
        if not usable:
            return None
        return usable[next(self.turns) % len(usable)]

    def is_usable(self, alias: str) -> bool:
        """Up and not too far behind; checked first if the last check is too old."""
        status = self.statuses.get(alias)
        if status is None or time.monotonic() - status.checked_at >= (
            settings.DATABASE_REPLICA_CHECK_SECONDS
        ):
            status = self.check(alias) or status
        return status is not None and status.usable

    def check(self, alias: str) -> _Status | None:
        """Check ``alias`` now; None if another thread is checking it (use the last status)."""
        lock = self.checking.setdefault(alias, threading.Lock())
        if not lock.acquire(blocking=False):
            return None
        try:
            try:
                lag = probe_lag(alias)
            except Exception as error:  # any failure to answer means: do not read there
                logger.warning("Read replica %s is unreachable: %s", alias, error)
                status = _Status(time.monotonic(), usable=False)
            else:
                usable = lag is not None and lag <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS
                if not usable:
                    logger.warning("Read replica %s is %s s behind: skipped", alias, lag)
                status = _Status(time.monotonic(), usable=usable, lag=lag)
                if lag is not None:
                    LAG.labels(alias=alias).set(lag)
            HEALTHY.labels(alias=alias).set(1 if status.usable else 0)
            self.statuses[alias] = status
            return status
        finally:
            lock.release()

    def mark_down(self, alias: str) -> None:
        """Skip ``alias`` until its next check (a query there failed to reach it)."""
        self.statuses[alias] = _Status(time.monotonic(), usable=False)
        HEALTHY.labels(alias=alias).set(0)

    def recheck_soon(self, alias: str) -> None:
        """Check ``alias`` again on the next read (a request that read there failed)."""
        status = self.statuses.get(alias)
        if status is not None:
            status.checked_at = float("-inf")


health = ReplicaHealth()


def probe_lag(alias: str) -> float | None:
    """Seconds ``alias`` is behind its primary (None: unknown), on a connection of its own.

    Raises psycopg's errors when the replica cannot be reached. A database that is not
    PostgreSQL (SQLite, in the tests) has no replication: 0.
    """
    database = connections[alias].settings_dict
    if not database["ENGINE"].endswith("postgresql"):
        return 0.0
    import psycopg

    with psycopg.connect(
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        dbname=database["NAME"],
        connect_timeout=CHECK_CONNECT_TIMEOUT,
        options=f"-c statement_timeout={CHECK_STATEMENT_TIMEOUT_MS}",
        autocommit=True,
    ) as connection:
        row = connection.execute(LAG_SQL).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def _count_and_watch(execute, sql, params, many, context):
    """Counts SELECTs by target; a connection error on a replica marks it down."""
    alias = context["connection"].alias
    if sql[:6].upper() == "SELECT":
        READS.labels(target="primary" if alias == DEFAULT_DB_ALIAS else "replica").inc()
    try:
        return execute(sql, params, many, context)
    except (OperationalError, InterfaceError):
        if alias != DEFAULT_DB_ALIAS:
            health.mark_down(alias)
        raise


@receiver(connection_created)
def _watch_connection(sender, connection, **kwargs) -> None:
    if not settings.DATABASE_REPLICAS:
        return
    if connection.alias != DEFAULT_DB_ALIAS and connection.alias not in settings.DATABASE_REPLICAS:
        return
    if _count_and_watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_and_watch)


class ReplicaRoutingMiddleware:
    """Marks the request's reads for a replica (safe API requests) and pins writers.

    Comes after the authentication middleware: the session's user is loaded from the
    primary. Not used when no replica is configured.
    """

    def __init__(self, get_response):
        if not settings.DATABASE_REPLICAS:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        is_safe = request.method in SAFE_METHODS
        state = _RequestRouting(
            replica_reads=is_safe and request.path.startswith(REPLICA_PATH_PREFIX)
        )
        if hasattr(request, "user"):
            request.user = SimpleLazyObject(_user_on_primary(request.user, state))
        token = _request.set(state)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        if not is_safe and state.account_id is not None and response.status_code < 500:
            pin_account(state.account_id)
        if state.alias and response.status_code >= 500:
            health.recheck_soon(state.alias)
        return response


def _user_on_primary(user, state: _RequestRouting):
    """Loads the session's user (a lazy object) from the primary, and notes the account."""

    def load():
        with primary():
            if getattr(user, "_wrapped", None) is empty:
                user._setup()
            loaded = getattr(user, "_wrapped", user)
        if loaded.is_authenticated:
            state.account_id = loaded.pk
        return loaded

    return load
