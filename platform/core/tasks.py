"""Platform tasks: the event relay, and diagnostics an operator (or the integration
suite) runs on the workers. Thin: each calls one function of the kernel."""

import os
import socket

from celery import shared_task
from django.db import connection

from core import events
from core.jobs import job_reap_lost, tracked_task


@shared_task(name="core.events.relay", ignore_result=True)
def events_relay_task(*, outbox_id: int) -> bool:
    """Deliver one outbox row right after its publisher committed (see :func:`events.relay`)."""
    return events.relay(outbox_id=outbox_id)


@shared_task(name="core.events.sweep", ignore_result=True)
def events_sweep_task() -> int:
    """Periodic: relay the outbox rows a crash, a lost message or a failing handler left."""
    return events.relay_due()


@shared_task(name="core.jobs.reap", ignore_result=True)
def jobs_reap_task() -> dict[str, int]:
    """Periodic: enqueue again, or fail with a reason, the jobs whose worker vanished."""
    return job_reap_lost()


@tracked_task(name="core.readiness_probe")
def readiness_probe_task(self, *, job_id: int) -> dict[str, object]:
    """Prove a worker consumes tasks and writes to the database: report who ran the probe.

    The caller creates a job (``job_create(owner=None, kind="core.readiness_probe")``)
    and enqueues this task with its id; the job ends in SUCCESS with the worker's node
    name, process id and the database vendor it wrote through. A second delivery of
    the same job is skipped (see :class:`core.jobs.TrackedTask`).
    """
    return {
        "worker": self.request.hostname or socket.gethostname(),
        "pid": os.getpid(),
        "database": connection.vendor,
    }
