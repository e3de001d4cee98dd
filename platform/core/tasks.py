"""Platform tasks: diagnostics an operator (or the integration suite) runs on the workers."""

import os
import socket

from celery import shared_task
from django.db import connection
from django.db.models import F
from django.utils import timezone

from core.models import BackgroundJob


@shared_task(name="core.readiness_probe")
def readiness_probe_task(*, job_id: int) -> dict[str, object]:
    """Prove a worker is consuming tasks: record who ran the probe in its BackgroundJob.

    The caller creates a ``BackgroundJob`` (kind ``readiness_probe``) and enqueues this
    task with its id; the job ends in SUCCESS with the worker's host name, process id
    and the database vendor it wrote through. Safe to run twice: a second run records the same
    outcome and counts another attempt. Raises ``BackgroundJob.DoesNotExist`` when the
    job is gone.
    """
    now = timezone.now()
    updated = BackgroundJob.objects.filter(pk=job_id).update(
        status=BackgroundJob.Status.STARTED,
        attempts=F("attempts") + 1,
        started_at=now,
    )
    if not updated:
        raise BackgroundJob.DoesNotExist(f"BackgroundJob {job_id} does not exist")
    result = {
        "worker": socket.gethostname(),
        "pid": os.getpid(),
        "database": connection.vendor,
    }
    BackgroundJob.objects.filter(pk=job_id).update(
        status=BackgroundJob.Status.SUCCESS,
        progress=100,
        result=result,
        finished_at=timezone.now(),
    )
    return result
