"""The platform's own Prometheus metrics, served at /metrics beside django-prometheus's.

Two kinds, both read by the alert rules in ``deploy/monitoring/alerts.yaml``:

- **Counters** incremented where the thing happens, in the web process that serves
  /metrics: requests refused with 503 because a service was out of reach, by cause
  (``agora_service_unavailable_total``), requests refused with 429 by rate-limit scope
  (``agora_rate_limited_total``) and failed sign-ins (``agora_authentication_failures_total``).
- **State** read when Prometheus scrapes, by :class:`PlatformCollector`: whether the
  database, Redis and the broker answer, the database pool's use, the Celery queues'
  length, the workers that reported in lately and the background jobs whose worker
  went silent. One cheap query or command each; a service that is down is reported
  as ``..._up 0`` and the figures that need it are left out, never a failed scrape.

Work done by Celery workers is not counted here (a worker serves no /metrics): its
outcome is read from the database at scrape time instead. Apps add state of their
own with :func:`register_collector` from ``AppConfig.ready()``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.db.models import Count, Max, Q
from django.utils import timezone
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# Seconds the scrape waits for the broker; a broker that slow is reported down.
BROKER_TIMEOUT_SECONDS = 2.0

service_unavailable_total = Counter(
    "agora_service_unavailable",
    "Requests answered 503 because a service they need was out of reach, by cause "
    "(database, database_pool, redis, broker; queue: waited longer than "
    "AGORA_REQUEST_QUEUE_TIMEOUT for a turn among its process's AGORA_REQUEST_CONCURRENCY; "
    "backlog: refused at once, its process holding AGORA_REQUEST_BACKLOG requests).",
    ["cause"],
)
rate_limited_total = Counter(
    "agora_rate_limited",
    "Requests refused with 429 because their rate-limit budget was spent, by scope.",
    ["scope"],
)
authentication_failures_total = Counter(
    "agora_authentication_failures",
    "Failed sign-ins (password: a wrong password or unknown account on any login form or "
    "the OAuth password grant; token: an unknown, expired or revoked bearer token).",
    ["method"],
)


def outage_cause(exc: BaseException) -> str:
    """The service an outage error (see ``core.exceptions.OUTAGE_ERRORS``) came from."""
    from django.db import InterfaceError, OperationalError

    cause = exc.__cause__
    if isinstance(exc, OperationalError | InterfaceError):
        if cause is not None and type(cause).__name__ == "PoolTimeout":
            return "database_pool"
        return "database"
    module = type(exc).__module__
    if module.startswith(("redis", "django_redis")):
        return "redis"
    if module.startswith(("kombu", "amqp")):
        return "broker"
    return "other"


def authentication_failed(*, method: str) -> None:
    authentication_failures_total.labels(method=method).inc()


def _login_failed(sender: Any, **kwargs: Any) -> None:
    authentication_failed(method="password")


# ---------------------------------------------------------------- scrape-time state

_collectors: list[Callable[[], Iterable[Any]]] = []


def register_collector(collect: Callable[[], Iterable[Any]]) -> None:
    """Add an app's scrape-time metrics: ``collect()`` yields metric families.

    Call from ``AppConfig.ready()``. ``collect`` should cost one query; when it raises
    (the database is down) :class:`PlatformCollector` leaves out what it would have
    reported and logs why, and the scrape still answers.
    """
    if collect not in _collectors:
        _collectors.append(collect)


def celery_queues() -> list[str]:
    """Every queue the routing sends to (``CELERY_TASK_QUEUES``), the default one included."""
    default = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", None) or "celery"
    declared = {queue.name for queue in getattr(settings, "CELERY_TASK_QUEUES", None) or ()}
    return sorted({default, *declared})


def database_state() -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    """``agora_database_up`` per alias, and the connection pool's use where there is one."""
    up = GaugeMetricFamily(
        "agora_database_up",
        "Whether the database answers SELECT 1 (1) or not (0).",
        labels=["alias"],
    )
    pool_gauges = {
        "pool_max": GaugeMetricFamily(
            "agora_database_pool_max_size",
            "Connections this process's pool may open (DATABASE_POOL_MAX_SIZE).",
            labels=["alias"],
        ),
        "pool_size": GaugeMetricFamily(
            "agora_database_pool_size",
            "Connections this process's pool holds, busy or idle.",
            labels=["alias"],
        ),
        "pool_available": GaugeMetricFamily(
            "agora_database_pool_available",
            "Idle connections in this process's pool.",
            labels=["alias"],
        ),
        "requests_waiting": GaugeMetricFamily(
            "agora_database_pool_requests_waiting",
            "Requests waiting for a connection from this process's pool.",
            labels=["alias"],
        ),
    }
    pool_errors = CounterMetricFamily(
        "agora_database_pool_errors",
        "Requests for a pooled connection that failed (waited DATABASE_POOL_TIMEOUT: 503).",
        labels=["alias"],
    )
    for alias in connections:
        connection = connections[alias]
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception:  # any failure to answer SELECT 1 means down for this gauge
            logger.warning("metrics: database %s unreachable", alias, exc_info=True)
            up.add_metric([alias], 0)
        else:
            up.add_metric([alias], 1)
        stats = pool_stats(connection)
        if stats is not None:
            for key, family in pool_gauges.items():
                family.add_metric([alias], stats.get(key, 0))
            pool_errors.add_metric([alias], stats.get("requests_errors", 0))
    # Without a pool (SQLite, DATABASE_POOL_MAX_SIZE=0) the families are served empty.
    yield up
    yield from pool_gauges.values()
    yield pool_errors


def pool_stats(connection: Any) -> dict[str, int] | None:
    """psycopg_pool's figures for ``connection``'s pool, or None when it has none.

    Read from the pool Django keeps for the alias, never creating one.
    """
    if not connection.settings_dict.get("OPTIONS", {}).get("pool"):
        return None
    pool = type(connection)._connection_pools.get(connection.alias)
    if pool is None:
        return None
    return dict(pool.get_stats())


def redis_state() -> Iterator[GaugeMetricFamily]:
    """``agora_redis_up`` per cache on Redis (no sample without ``REDIS_URL``)."""
    up = GaugeMetricFamily(
        "agora_redis_up", "Whether the cache's Redis answers PING (1) or not (0).", labels=["cache"]
    )
    for alias in settings.CACHES:
        client = getattr(caches[alias], "client", None)
        if client is None or not hasattr(client, "get_client"):
            continue  # not django-redis: local memory
        try:
            client.get_client(write=True).ping()
        except Exception:  # any failure to answer means down for this gauge
            logger.warning("metrics: redis for cache %s unreachable", alias, exc_info=True)
            up.add_metric([alias], 0)
        else:
            up.add_metric([alias], 1)
    yield up  # empty without Redis


def broker_state() -> Iterator[GaugeMetricFamily]:
    """``agora_celery_broker_up`` and ``agora_celery_queue_length{queue}`` (through kombu).

    A queue's length is the number of messages waiting in it, not those a worker
    reserved; a queue nobody declared yet counts 0.
    """
    from kombu import Connection
    from kombu.exceptions import ChannelError

    up = GaugeMetricFamily(
        "agora_celery_broker_up", "Whether the Celery broker answers (1) or not (0)."
    )
    length = GaugeMetricFamily(
        "agora_celery_queue_length",
        "Messages waiting in each Celery queue.",
        labels=["queue"],
    )
    options = {
        **(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}),
        "socket_timeout": BROKER_TIMEOUT_SECONDS,
        "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
    }
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
            transport_options=options,
        ) as broker:
            broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            channel = broker.default_channel
            sizes = {}
            for queue in celery_queues():
                try:
                    sizes[queue] = channel.queue_declare(queue=queue, passive=True).message_count
                except ChannelError:  # never declared: nothing was ever sent to it
                    sizes[queue] = 0
    except Exception:  # any failure to answer means down for this gauge
        logger.warning("metrics: broker unreachable", exc_info=True)
        up.add_metric([], 0)
        yield up
        yield length  # empty: the lengths are unknown
        return
    up.add_metric([], 1)
    for queue, size in sizes.items():
        length.add_metric([queue], size)
    yield up
    yield length


def worker_state() -> Iterator[GaugeMetricFamily]:
    """Workers that reported in within ``WORKER_HEARTBEAT_MAX_AGE``, and the newest's age."""
    from core.models import WorkerHeartbeat

    now = timezone.now()
    found = WorkerHeartbeat.objects.aggregate(
        alive=Count(
            "pk",
            filter=Q(last_seen_at__gte=now - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)),
        ),
        newest=Max("last_seen_at"),
    )
    alive = GaugeMetricFamily(
        "agora_celery_workers_alive",
        "Celery workers whose heartbeat is younger than WORKER_HEARTBEAT_MAX_AGE.",
    )
    alive.add_metric([], found["alive"])
    age = GaugeMetricFamily(
        "agora_celery_worker_heartbeat_age_seconds",
        "Seconds since the most recent heartbeat of any Celery worker (none: never).",
    )
    if found["newest"] is not None:
        age.add_metric([], max(0.0, (now - found["newest"]).total_seconds()))
    yield alive
    yield age


def job_state() -> Iterator[GaugeMetricFamily]:
    """Unfinished background jobs by kind and status, and those whose worker went silent.

    A running job is stuck when its heartbeat is older than ``JOBS_HEARTBEAT_TIMEOUT``:
    its worker vanished and the reaper (``core.jobs.reap``, every minute) has not yet
    retried or failed it. One grouped query over the unfinished rows.
    """
    from core.models import BackgroundJob

    Status = BackgroundJob.Status
    stale_before = timezone.now() - timedelta(seconds=settings.JOBS_HEARTBEAT_TIMEOUT)
    rows = (
        BackgroundJob.objects.exclude(status__in=BackgroundJob.FINISHED)
        .values("kind", "status")
        .annotate(
            jobs=Count("pk"),
            stuck=Count(
                "pk",
                filter=Q(status__in=(Status.STARTED, Status.PROGRESS))
                & (Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True))
                & Q(started_at__lt=stale_before),
            ),
        )
        .order_by()
    )
    jobs = GaugeMetricFamily(
        "agora_background_jobs",
        "Unfinished background jobs, by kind and status.",
        labels=["kind", "status"],
    )
    stuck = GaugeMetricFamily(
        "agora_background_jobs_stuck",
        "Running background jobs whose heartbeat is older than JOBS_HEARTBEAT_TIMEOUT, by kind.",
        labels=["kind"],
    )
    stuck_by_kind: dict[str, int] = {}
    for row in rows:
        jobs.add_metric([row["kind"], row["status"]], row["jobs"])
        stuck_by_kind[row["kind"]] = stuck_by_kind.get(row["kind"], 0) + row["stuck"]
    for kind, count in sorted(stuck_by_kind.items()):
        stuck.add_metric([kind], count)
    yield jobs
    yield stuck


class PlatformCollector(Collector):
    """Reads the platform's state when /metrics is scraped (see the module's docstring)."""

    def collect(self) -> Iterator[Any]:
        started = time.perf_counter()
        yield from database_state()
        yield from redis_state()
        yield from broker_state()
        for collect in (worker_state, job_state, *_collectors):
            try:
                # Materialised so that a collector failing halfway reports nothing.
                yield from list(collect())
            except Exception:  # the database is down (reported above): never fail the scrape
                logger.warning("metrics: %s skipped", collect.__qualname__, exc_info=True)
        duration = GaugeMetricFamily(
            "agora_metrics_collect_seconds", "Seconds the last scrape took to read the state."
        )
        duration.add_metric([], time.perf_counter() - started)
        yield duration

    def describe(self) -> list[Any]:
        # No description: the registry must not call collect() (and query) when registering.
        return []


_collector = PlatformCollector()
_registered = {"collector": False}


def connect() -> None:
    """Register the scrape-time collector and the sign-in failure receiver, once."""
    from django.contrib.auth.signals import user_login_failed

    if not _registered["collector"]:
        REGISTRY.register(_collector)
        _registered["collector"] = True
    user_login_failed.connect(_login_failed, dispatch_uid="core.metrics.login_failed")
