"""Liveness and readiness probes for load balancers and Kubernetes.

``/healthz`` answers as long as the process serves requests and touches nothing
else. ``/readyz`` checks every backing service a request may need (the database,
the cache, the Celery broker, media storage, and a Celery worker that reported in
lately: without one no job runs and no domain event is delivered) and answers 503
naming those that are down, so an orchestrator stops routing traffic to this process until they are
back. Each check reports its latency; error details stay in the logs, the response
names only the exception class (and the message of a :class:`ReadinessProblem`,
which is written to be shown).

Apps add checks of their own with :func:`register_check` from ``AppConfig.ready()``
(core never imports apps). A critical check joins ``checks`` and fails readiness;
an optional one (a feature the process can serve without, such as media
processing without ffmpeg) is reported under ``optional`` and named in
``degraded`` while readiness stays 200.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from celery import bootsteps
from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, connections
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2.0
PROBE_PREFIX = ".readyz-probe-"


class ReadinessProblem(Exception):
    """Raised by a check whose message is safe to show in ``/readyz``."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one readiness check."""

    name: str
    is_ok: bool
    latency_ms: float
    error: str = ""
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        answer: dict[str, object] = {
            "status": "ok" if self.is_ok else "error",
            "latency_ms": self.latency_ms,
        }
        if self.error:
            answer["error"] = self.error
        if self.detail:
            answer["detail"] = self.detail
        return answer


def check_database() -> None:
    """Run ``SELECT 1`` on every configured database alias."""
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()


def check_cache() -> None:
    """Round-trip a unique value through every configured cache."""
    for alias in settings.CACHES:
        cache = caches[alias]
        key = f"readyz:{uuid.uuid4().hex}"
        value = uuid.uuid4().hex
        cache.set(key, value, timeout=10)
        try:
            if cache.get(key) != value:
                raise RuntimeError(f"cache {alias!r} did not return the value it was given")
        finally:
            cache.delete(key)


def check_broker() -> None:
    """Reach the Celery broker (for the file broker: its folders exist and are writable)."""
    url = settings.CELERY_BROKER_URL
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {})
    if url.startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder"):
            folder = options.get(key)
            if folder is None:
                continue
            path = Path(folder)
            if not path.is_dir() or not os.access(path, os.W_OK):
                raise FileNotFoundError(f"broker folder {key} is missing or read-only")
        return
    with Connection(
        url, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options
    ) as connection:
        connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


def worker_heartbeat(*, hostname: str) -> None:
    """Record that the worker ``hostname`` is alive (called by it every few seconds)."""
    from core.models import WorkerHeartbeat

    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"last_seen_at": now})
    # Workers that went away long ago (renamed pods) are forgotten.
    WorkerHeartbeat.objects.filter(last_seen_at__lt=now - timedelta(days=1)).delete()


def worker_stopped(*, hostname: str) -> None:
    """Forget the worker ``hostname``: it shut down cleanly."""
    from core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(hostname=hostname).delete()


def check_worker() -> None:
    """A Celery worker reported in within ``WORKER_HEARTBEAT_MAX_AGE`` seconds.

    Skipped when tasks run in the calling process (``CELERY_TASK_ALWAYS_EAGER``), and
    passes when the database cannot be read: the database check reports that.
    Raises :class:`ReadinessProblem` naming the age of the last heartbeat.
    """
    from core.models import WorkerHeartbeat

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    max_age = settings.WORKER_HEARTBEAT_MAX_AGE
    try:
        latest = WorkerHeartbeat.objects.order_by("-last_seen_at").first()
    except DatabaseError:
        logger.info("worker heartbeat unknown: the database is unreachable")
        return
    if latest is None:
        raise ReadinessProblem(
            "no Celery worker has reported in: background jobs and domain events wait"
        )
    age = (timezone.now() - latest.last_seen_at).total_seconds()
    if age > max_age:
        raise ReadinessProblem(
            f"no Celery worker has reported in for {int(age)} s (limit {max_age} s): "
            "background jobs and domain events wait"
        )


class WorkerHeartbeatThread:
    """Started in a Celery worker (``worker_ready``): writes its heartbeat until stopped."""

    def __init__(self, *, hostname: str) -> None:
        self.hostname = hostname
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        try:
            worker_stopped(hostname=self.hostname)
        except Exception:
            logger.warning("could not remove the worker heartbeat", exc_info=True)
        finally:
            connection.close()

    def _run(self) -> None:
        interval = settings.WORKER_HEARTBEAT_SECONDS
        while True:
            try:
                worker_heartbeat(hostname=self.hostname)
            except Exception:
                logger.warning("could not write the worker heartbeat", exc_info=True)
            finally:
                connection.close()
            if self._stopped.wait(interval):
                return


class WorkerLiveness(bootsteps.StartStopStep):
    """A Celery worker step: the worker's main loop touches ``WORKER_LIVENESS_FILE`` every
    ``WORKER_LIVENESS_SECONDS`` while it turns, for an exec liveness probe that checks the
    file's age (``deploy/k8s/worker-*.yaml``).

    The touch is a timer entry of the worker itself (``worker.timer``): a prefork worker
    fires it from the event loop that takes messages and hands them to the pool, so it
    stops when that loop stops (a hang, a deadlock, a consumer that never came back from
    a lost broker connection), while the heartbeat thread (:class:`WorkerHeartbeatThread`)
    would go on. It touches a local file and nothing else, so a database outage leaves it
    be; a broker outage does not, as the consumer reconnects outside the loop (with
    retries 2, 4, 6... s apart), and touches resume once it is back
    (``tests/integration/test_worker_liveness.py``). A solo pool runs its tasks in the loop:
    its probe's window must outlast its longest task. Unset, the step does nothing.
    """

    requires = {"celery.worker.components:Timer"}

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.path = Path(settings.WORKER_LIVENESS_FILE) if settings.WORKER_LIVENESS_FILE else None
        self.entry = None

    def start(self, parent) -> None:
        if self.path is None:
            return
        self.touch()
        self.entry = parent.timer.call_repeatedly(settings.WORKER_LIVENESS_SECONDS, self.touch)

    def stop(self, parent) -> None:
        if self.entry is not None:
            self.entry.cancel()
            self.entry = None

    def touch(self) -> None:
        if self.path is None:
            return
        try:
            self.path.touch()
        except OSError:
            logger.warning("could not touch the liveness file %s", self.path, exc_info=True)


def check_storage() -> None:
    """Write a probe file to the default (media) storage and delete it."""
    name = default_storage.save(f"{PROBE_PREFIX}{uuid.uuid4().hex}", ContentFile(b"ok"))
    default_storage.delete(name)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "storage": check_storage,
    "worker": check_worker,
}


@dataclass(frozen=True)
class RegisteredCheck:
    """A readiness check an app registered: ``critical`` ones fail readiness."""

    check: Callable[[], None]
    critical: bool = False


EXTRA_CHECKS: dict[str, RegisteredCheck] = {}


def register_check(name: str, check: Callable[[], None], *, critical: bool = False) -> None:
    """Add (or replace) the readiness check ``name``; call from ``AppConfig.ready()``.

    ``check`` raises when the dependency is unavailable, :class:`ReadinessProblem`
    with a message that may be shown. Raises ``ValueError`` for a built-in name.
    """
    if name in CHECKS:
        raise ValueError(f"{name!r} is a built-in readiness check")
    EXTRA_CHECKS[name] = RegisteredCheck(check=check, critical=critical)


def unregister_check(name: str) -> None:
    EXTRA_CHECKS.pop(name, None)


def run_check(name: str, check: Callable[[], None]) -> CheckResult:
    """Run one check, timing it; any exception marks it down (and is logged)."""
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:
        latency = round((time.perf_counter() - started) * 1000, 2)
        logger.warning("readiness check failed", exc_info=True, extra={"check": name})
        detail = str(exc) if isinstance(exc, ReadinessProblem) else ""
        return CheckResult(
            name=name, is_ok=False, latency_ms=latency, error=type(exc).__name__, detail=detail
        )
    latency = round((time.perf_counter() - started) * 1000, 2)
    return CheckResult(name=name, is_ok=True, latency_ms=latency)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. No I/O, so a slow dependency never restarts it."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every critical check passes, 503 naming the ones that failed.

    Optional checks that fail are named in ``degraded`` (status ``degraded``, still 200).
    """
    critical = dict(CHECKS)
    optional: dict[str, Callable[[], None]] = {}
    for name, registered in EXTRA_CHECKS.items():
        (critical if registered.critical else optional)[name] = registered.check
    results = [run_check(name, check) for name, check in critical.items()]
    optional_results = [run_check(name, check) for name, check in optional.items()]
    failing = [result.name for result in results if not result.is_ok]
    degraded = [result.name for result in optional_results if not result.is_ok]
    body = {
        "status": "unavailable" if failing else ("degraded" if degraded else "ok"),
        "failing": failing,
        "checks": {result.name: result.as_dict() for result in results},
    }
    if optional_results:
        body["degraded"] = degraded
        body["optional"] = {result.name: result.as_dict() for result in optional_results}
    return JsonResponse(body, status=503 if failing else 200)
