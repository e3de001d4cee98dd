"""A prefork Celery worker keeps its pooled PostgreSQL connections from task to task.

Celery's Django fixup closes a prefork child's whole connection pool before and after
every task (celery/celery#10554), so each task connected to PostgreSQL anew: under load
the connections cost the worker and PostgreSQL more CPU than the tasks did
(``bench/load.py``). ``config.celery`` hands a task's connection back to its pool instead.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection

from core.jobs import job_create
from core.models import BackgroundJob
from core.tasks import readiness_probe_task
from tests.integration.crash import Worker, private_queue

pytestmark = pytest.mark.integration

TASKS = 30
TASK_SECONDS = 60


def sessions_opened() -> int:
    """How many sessions PostgreSQL has opened on the test database, read afresh."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def run_probes(count: int, worker: Worker) -> list[BackgroundJob]:
    """Enqueue ``count`` readiness probes, one task each, and wait for all to succeed."""
    jobs = [job_create(owner=None, kind="core.readiness_probe") for _ in range(count)]
    for job in jobs:
        readiness_probe_task.delay(job_id=job.pk)
    deadline = time.monotonic() + TASK_SECONDS
    while BackgroundJob.objects.filter(pk__in=[j.pk for j in jobs], finished_at=None).exists():
        assert time.monotonic() < deadline, worker.log()
        time.sleep(0.2)
    return list(BackgroundJob.objects.filter(pk__in=[j.pk for j in jobs]))


@pytest.fixture
def prefork_worker(transactional_db, tmp_path):
    """A prefork worker of this test's own (one child), on a private queue."""
    with private_queue() as queue:
        worker = Worker(name="pooled", log_dir=tmp_path, queue=queue, pool="prefork", env={})
        try:
            worker.wait_ready()
            yield worker
        finally:
            worker.stop()


def test_a_prefork_worker_does_not_connect_anew_for_each_task(prefork_worker, settings):
    # given a worker whose child has run a task, so its pool is open
    assert run_probes(1, prefork_worker)[0].status == BackgroundJob.Status.SUCCESS
    before = sessions_opened()

    # when it runs thirty more tasks, each writing to PostgreSQL
    jobs = run_probes(TASKS, prefork_worker)

    # then every task succeeded in the child process
    assert {job.status for job in jobs} == {BackgroundJob.Status.SUCCESS}
    assert prefork_worker.pid not in {job.result["pid"] for job in jobs}
    # and PostgreSQL saw no more new sessions than one pool holds (it saw two a task)
    pool_size = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    assert sessions_opened() - before <= pool_size, prefork_worker.log()
