"""The Celery application. Start a worker with ``celery -A config worker``."""

import os
import sys
from pathlib import Path

# platform/ is a source folder: make `config` and `core` importable for the worker.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from celery import Celery, signals  # noqa: E402

app = Celery("agora")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker's liveness file (WORKER_LIVENESS_FILE), loaded by name when a worker starts.
app.steps["worker"].add("core.health:WorkerLiveness")

_heartbeat = None


@signals.worker_ready.connect
def _start_worker_heartbeat(sender=None, **kwargs) -> None:
    """The worker reports in to the database every few seconds, which /readyz checks."""
    global _heartbeat
    from core.health import WorkerHeartbeatThread

    _heartbeat = WorkerHeartbeatThread(hostname=getattr(sender, "hostname", "") or "worker")
    _heartbeat.start()


@signals.worker_shutdown.connect
def _stop_worker_heartbeat(**kwargs) -> None:
    """A worker stopping cleanly stops reporting in at once, so /readyz notices."""
    if _heartbeat is not None:
        _heartbeat.stop()


@signals.worker_init.connect
def _trace_worker(sender=None, **kwargs) -> None:
    """Tracing in a worker whose pool runs tasks in this process (threads, solo).

    A prefork pool's children set it up themselves (below): the exporter's thread
    would not survive the fork.
    """
    pool = getattr(sender, "pool_cls", None)
    pool_name = pool if isinstance(pool, str) else getattr(pool, "__module__", "")
    if "prefork" not in pool_name and pool_name != "processes":
        from core import tracing

        tracing.setup(default_service_name="agora-worker")


@signals.worker_process_init.connect
def _trace_worker_process(**kwargs) -> None:
    """Tracing in each prefork child, once the process exists (the solo pool sends this
    too, and has tracing already)."""
    from core import tracing

    tracing.setup(default_service_name="agora-worker", after_fork=True)


@signals.worker_process_shutdown.connect
def _flush_traces(**kwargs) -> None:
    """A prefork child exits without running atexit: export its last spans first."""
    from core import tracing

    tracing.force_flush()


@signals.worker_init.connect
def _close_start_up_connections(**kwargs) -> None:
    """Close the database connections, and their pools, that the worker's start-up opened,
    before its pool of task runners starts.

    Celery's Django fixup did so when it installed itself, until ``CELERY_DB_REUSE_MAX``
    kept it from closing anything. Left open, a prefork worker's children would inherit
    the pool and close it, on sockets shared with this process. A solo or threads pool
    sends ``worker_process_init`` in this very process, where the fixup closes the socket
    of any connection still open, as it must after a fork: that connection went back to
    its pool with its socket closed under it, the next connection opened reused its file
    descriptor, and the two, one socket between them, hung the worker on its first task.
    """
    from core.postgres import close_connections_and_pools

    close_connections_and_pools()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _database_connections_as_after_a_request(sender=None, **kwargs) -> None:
    """Around each task, hand back the database connection as Django does after a request:
    a pooled one goes back to its pool, and one that broke or outlived
    ``DATABASE_CONN_MAX_AGE`` is closed.

    Celery's Django fixup would close the whole pool instead, so every task connected
    anew (``CELERY_DB_REUSE_MAX`` keeps it from doing so). A task run eagerly runs inside
    its caller's request or transaction, whose connection is not the task's to close.
    """
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
