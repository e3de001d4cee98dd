"""Platform tasks: diagnostics an operator (or the integration suite) runs on the workers."""

import os
import socket

from django.db import connection

from core.jobs import tracked_task


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
