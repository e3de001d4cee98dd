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
