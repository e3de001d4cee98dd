"""Jobs whose worker vanished: a heartbeat while they run, the reaper that enqueues them
again or fails them with a reason, and duplicate deliveries skipped."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import jobs
from core.models import BackgroundJob
from core.tasks import jobs_reap_task, readiness_probe_task

pytestmark = pytest.mark.django_db

Status = BackgroundJob.Status


def running_job(*, attempts: int, silent_for: timedelta, task_id: str = "lost-task") -> int:
    """A probe job a worker started ``silent_for`` ago and last heard from then."""
    job = jobs.job_create(owner=None, kind="core.readiness_probe")
    BackgroundJob.objects.filter(pk=job.pk).update(
        status=Status.PROGRESS,
        attempts=attempts,
        task_id=task_id,
        task_name="core.readiness_probe",
        task_kwargs={"job_id": job.pk},
        started_at=timezone.now() - silent_for,
        heartbeat_at=timezone.now() - silent_for,
        progress=19,
    )
    return job.pk


def test_a_started_job_records_its_task_and_heartbeat(eager_celery):
    # given a job
    job = jobs.job_create(owner=None, kind="core.readiness_probe")

    # when it is marked started by its task
    started = jobs.job_started(
        job_id=job.pk, task_id="t-1", task_name="core.readiness_probe", task_kwargs={"job_id": 1}
    )

    # then it knows how to run again, and when it was last heard from
    assert started.task_name == "core.readiness_probe"
    assert started.task_kwargs == {"job_id": 1}
    assert started.heartbeat_at is not None
    assert jobs.job_heartbeat(job_id=job.pk, task_id="t-1") is True
    assert jobs.job_heartbeat(job_id=job.pk, task_id="another") is False


def test_a_job_whose_worker_vanished_is_enqueued_again(
    settings, eager_celery, django_capture_on_commit_callbacks
):
    # given a running job whose heartbeat stopped longer ago than the timeout
    settings.JOBS_HEARTBEAT_TIMEOUT = 60
    job_id = running_job(attempts=1, silent_for=timedelta(minutes=5))

    # when the reaper runs (the task runs eagerly once enqueued)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_reap_task() == {"retried": 1, "failed": 0}

    # then its task ran again under a new id and finished it
    job = BackgroundJob.objects.get(pk=job_id)
    assert job.status == Status.SUCCESS
    assert job.attempts == 2
    assert job.task_id != "lost-task"
    assert job.message == jobs.WORKER_LOST_RETRYING


def test_a_job_whose_worker_vanished_too_often_fails_with_a_reason(settings, eager_celery):
    # given a job that already lost its worker on every allowed attempt
    settings.JOBS_HEARTBEAT_TIMEOUT = 60
    settings.JOBS_LOST_MAX_ATTEMPTS = 3
    job_id = running_job(attempts=3, silent_for=timedelta(minutes=5))

    # when the reaper runs
    assert jobs_reap_task() == {"retried": 0, "failed": 1}

    # then it failed with a reason the owner can read
    job = BackgroundJob.objects.get(pk=job_id)
    assert job.status == Status.FAILURE
    assert job.error == (
        "The worker running this job stopped, and the job did not finish after several attempts."
    )
    assert job.finished_at is not None


def test_a_job_with_a_fresh_heartbeat_is_left_alone(settings):
    # given a running job heard from a moment ago
    settings.JOBS_HEARTBEAT_TIMEOUT = 60
    job_id = running_job(attempts=1, silent_for=timedelta(seconds=5))

    # when the reaper runs, then nothing changes
    assert jobs_reap_task() == {"retried": 0, "failed": 0}
    job = BackgroundJob.objects.get(pk=job_id)
    assert (job.status, job.attempts, job.task_id) == (Status.PROGRESS, 1, "lost-task")


def test_a_second_delivery_while_the_first_run_is_alive_is_skipped(settings, eager_celery):
    # given a job another task id runs, heard from a moment ago
    settings.JOBS_HEARTBEAT_TIMEOUT = 60
    job_id = running_job(attempts=1, silent_for=timedelta(seconds=5))

    # when a duplicate message of it is delivered
    result = readiness_probe_task.apply(kwargs={"job_id": job_id}, task_id="duplicate")

    # then it did nothing to the job
    assert result.result is None
    job = BackgroundJob.objects.get(pk=job_id)
    assert (job.status, job.attempts, job.task_id) == (Status.PROGRESS, 1, "lost-task")


def test_a_redelivery_of_the_same_task_after_its_worker_died_runs_it(settings, eager_celery):
    # given the broker redelivers the very message whose worker died
    settings.JOBS_HEARTBEAT_TIMEOUT = 60
    job_id = running_job(attempts=1, silent_for=timedelta(seconds=5))

    # when it runs
    readiness_probe_task.apply(kwargs={"job_id": job_id}, task_id="lost-task")

    # then the job finished on this second attempt
    job = BackgroundJob.objects.get(pk=job_id)
    assert (job.status, job.attempts) == (Status.SUCCESS, 2)
