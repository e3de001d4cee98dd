"""Background job services and the TrackedTask base, on real Celery in eager mode."""

import pytest
from celery.exceptions import Retry
from django.core.exceptions import ValidationError

from core import events
from core.jobs import (
    GENERIC_FAILURE,
    JobError,
    job_create,
    job_failed,
    job_progress,
    job_revoked,
    job_started,
    job_succeeded,
    tracked_task,
)
from core.models import BackgroundJob

Status = BackgroundJob.Status
calls: list[str] = []


@tracked_task(name="tests.core.count_to")
def count_to_task(self, *, job_id: int, steps: int) -> dict:
    for step in range(1, steps + 1):
        self.report_progress(step * 100 // steps, f"Step {step} of {steps}")
    return {"steps": steps}


@tracked_task(name="tests.core.refuses")
def refuses_task(self, *, job_id: int) -> None:
    self.report_progress(30, "Checking")
    raise JobError("The file is not a video.")


@tracked_task(name="tests.core.crashes")
def crashes_task(self, *, job_id: int) -> None:
    raise KeyError("internal detail")


@tracked_task(name="tests.core.flaky", max_retries=3, default_retry_delay=0)
def flaky_task(self, *, job_id: int, failures: int) -> str:
    calls.append("run")
    if len(calls) <= failures:
        raise self.retry(exc=ConnectionError("transcoder busy"), countdown=0)
    return "done"


@tracked_task(name="tests.core.revoked_midway")
def revoked_midway_task(self, *, job_id: int) -> str:
    self.report_progress(10, "Starting")
    job_revoked(job_id=job_id)
    self.report_progress(20, "Still going")
    calls.append("should not get here")
    return "finished anyway"


@pytest.fixture(autouse=True)
def _reset_calls():
    calls.clear()


@pytest.fixture
def finished_events():
    """Every JobFinished event delivered during the test."""
    received: list[events.JobFinished] = []
    events.subscribe(events.JobFinished, received.append)
    yield received
    events.unsubscribe(events.JobFinished, received.append)


def test_job_create_makes_a_pending_job(user):
    job = job_create(owner=user, kind="media.transcode")

    job.refresh_from_db()
    assert job.status == Status.PENDING
    assert job.owner == user
    assert job.kind == "media.transcode"
    assert (job.progress, job.attempts, job.result, job.error) == (0, 0, None, "")
    assert job.started_at is None
    assert job.finished_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["", "x" * 101], ids=["blank", "too-long"])
def test_job_create_refuses_a_bad_kind(kind):
    with pytest.raises(ValidationError):
        job_create(owner=None, kind=kind)

    assert BackgroundJob.objects.count() == 0


def test_tracked_task_reports_progress_and_success(
    user, eager_celery, finished_events, django_capture_on_commit_callbacks
):
    # given a pending job
    job = job_create(owner=user, kind="count")

    # when its task runs to the end
    with django_capture_on_commit_callbacks(execute=True):
        outcome = count_to_task.delay(job_id=job.pk, steps=4)

    # then the job succeeded with the task's result
    job.refresh_from_db()
    assert outcome.get() == {"steps": 4}
    assert job.status == Status.SUCCESS
    assert job.progress == 100
    assert job.message == "Step 4 of 4"
    assert job.result == {"steps": 4}
    assert job.attempts == 1
    assert job.task_id == outcome.id
    assert job.started_at is not None
    assert job.finished_at >= job.started_at
    assert finished_events == [
        events.JobFinished(job_id=job.pk, owner_id=user.pk, kind="count", status="SUCCESS")
    ]


def test_job_error_fails_the_job_with_its_message(user, eager_celery):
    job = job_create(owner=user, kind="refuse")

    with pytest.raises(JobError):
        refuses_task.delay(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == Status.FAILURE
    assert job.error == "The file is not a video."
    assert job.progress == 30
    assert job.finished_at is not None


def test_unexpected_exception_fails_the_job_without_leaking_details(user, eager_celery):
    job = job_create(owner=user, kind="crash")

    with pytest.raises(KeyError):
        crashes_task.delay(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == Status.FAILURE
    assert job.error == GENERIC_FAILURE
    assert "internal detail" not in job.error


def test_retried_task_counts_attempts_and_succeeds(user, eager_celery_keeping_failures):
    # given a task that fails twice before it works
    job = job_create(owner=user, kind="flaky")

    # when it runs (eager Celery runs the retries in place)
    outcome = flaky_task.delay(job_id=job.pk, failures=2)

    # then the job records three attempts and the success
    job.refresh_from_db()
    assert outcome.get() == "done"
    assert calls == ["run", "run", "run"]
    assert job.status == Status.SUCCESS
    assert job.attempts == 3
    assert job.result == "done"


def test_task_that_exhausts_its_retries_fails_the_job(user, eager_celery_keeping_failures):
    job = job_create(owner=user, kind="flaky")

    outcome = flaky_task.delay(job_id=job.pk, failures=10)

    job.refresh_from_db()
    assert outcome.state == "FAILURE"
    assert isinstance(outcome.result, ConnectionError)
    assert calls == ["run"] * 4
    assert job.status == Status.FAILURE
    assert job.attempts == 4
    assert job.error == GENERIC_FAILURE


def test_retry_leaves_the_job_in_retry_until_the_next_attempt(user, eager_celery):
    # given a task that asks for a retry (eager Celery re-raises instead of re-running)
    job = job_create(owner=user, kind="flaky")

    # when its first attempt fails
    with pytest.raises(Retry):
        flaky_task.delay(job_id=job.pk, failures=1)

    # then the job says it will run again, hiding the internal error from its owner
    job.refresh_from_db()
    assert job.status == Status.RETRY
    assert job.attempts == 1
    assert job.error == ""
    assert job.finished_at is None


def test_revoked_job_is_skipped_by_its_task(user, eager_celery):
    # given a job revoked before its task ran
    job = job_create(owner=user, kind="count")
    job_revoked(job_id=job.pk)

    # when the task is delivered
    outcome = count_to_task.delay(job_id=job.pk, steps=2)

    # then nothing ran and the job stays revoked
    job.refresh_from_db()
    assert outcome.get() is None
    assert job.status == Status.REVOKED
    assert (job.progress, job.attempts, job.result) == (0, 0, None)


def test_job_revoked_while_running_stops_its_task(user, eager_celery):
    job = job_create(owner=user, kind="revoke")

    outcome = revoked_midway_task.delay(job_id=job.pk)

    job.refresh_from_db()
    assert outcome.get() is None
    assert calls == []
    assert job.status == Status.REVOKED
    assert job.progress == 10
    assert job.result is None


def test_tracked_task_without_job_id_is_refused(eager_celery):
    with pytest.raises(TypeError, match="job_id"):
        count_to_task.delay(steps=2)


@pytest.mark.parametrize(
    "progress",
    [-1, 101, "50", 50.5, True, None],
    ids=["negative", "over", "str", "float", "bool", "none"],
)
def test_job_progress_refuses_values_outside_0_to_100(user, progress):
    job = job_create(owner=user, kind="count")
    job_progress(job_id=job.pk, progress=40, message="Working")

    with pytest.raises(ValidationError):
        job_progress(job_id=job.pk, progress=progress, message="Changed")

    job.refresh_from_db()
    assert (job.progress, job.message) == (40, "Working")


def test_job_progress_never_goes_backwards(user):
    job = job_create(owner=user, kind="count")
    job_progress(job_id=job.pk, progress=60, message="Encoding")

    job_progress(job_id=job.pk, progress=30, message="Encoding again")

    job.refresh_from_db()
    assert job.status == Status.PROGRESS
    assert job.progress == 60
    assert job.message == "Encoding again"


def test_job_progress_truncates_a_long_message(user):
    job = job_create(owner=user, kind="count")

    job_progress(job_id=job.pk, progress=1, message="m" * 300)

    job.refresh_from_db()
    assert job.message == "m" * 255


@pytest.mark.parametrize(
    "finish",
    [
        lambda pk: job_succeeded(job_id=pk, result={"ok": True}),
        lambda pk: job_failed(job_id=pk, error="Broken."),
        lambda pk: job_revoked(job_id=pk),
    ],
    ids=["succeeded", "failed", "revoked"],
)
def test_finished_job_is_never_changed_again(user, finish):
    # given a finished job
    job = job_create(owner=user, kind="count")
    finish(job.pk)
    job.refresh_from_db()
    before = (job.status, job.progress, job.result, job.error, job.attempts, job.finished_at)

    # when late reports arrive (a duplicate delivery, a slow worker)
    job_started(job_id=job.pk)
    job_succeeded(job_id=job.pk, result="late")
    job_failed(job_id=job.pk, error="late")

    # then nothing changed
    job.refresh_from_db()
    assert (
        job.status,
        job.progress,
        job.result,
        job.error,
        job.attempts,
        job.finished_at,
    ) == before


def test_job_revoked_refuses_a_finished_job(user):
    job = job_create(owner=user, kind="count")
    job_succeeded(job_id=job.pk, result=1)

    with pytest.raises(ValidationError):
        job_revoked(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == Status.SUCCESS
