"""Background jobs: the services that move a :class:`~core.models.BackgroundJob`
through its states, and the Celery task base that reports through them.

A service that starts long work creates a job and enqueues a tracked task with
its id once the transaction commits::

    job = job_create(owner=user, kind="media.transcode")
    transaction.on_commit(lambda: transcode_task.delay(job_id=job.pk, media_id=media.pk))

    @tracked_task(name="media.transcode", max_retries=3)
    def transcode_task(self, *, job_id: int, media_id: int) -> dict:
        ...
        self.report_progress(50, "Encoding")
        return {"media_id": media_id}

The task base marks the job STARTED (counting the attempt), SUCCESS with the
task's return value, RETRY when Celery retries it, and FAILURE when it gives up.
Finished jobs (SUCCESS, FAILURE, REVOKED) never change again, so a task that runs
twice, or a revoked job whose task still runs, cannot overwrite the outcome.

A running task refreshes its job's ``heartbeat_at`` every ``JOBS_HEARTBEAT_SECONDS``
from a thread of its own. When the worker dies (kill -9, a lost node) the broker
redelivers the task (late acknowledgement), and the periodic reaper
(:func:`job_reap_lost`) looks after jobs whose heartbeat stopped for longer than
``JOBS_HEARTBEAT_TIMEOUT``: it enqueues the task again, up to ``JOBS_LOST_MAX_ATTEMPTS``
attempts, then fails the job with a reason its owner can read and calls the task's
``job_lost`` hook (media marks its attachment failed, so it stops answering 206).
A second run of a job while another is alive (a duplicate delivery) is skipped.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta
from typing import Any

from celery import Task, current_app, shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import events
from core.errors import NotFound
from core.models import BackgroundJob

logger = logging.getLogger(__name__)

Status = BackgroundJob.Status
MESSAGE_MAX_LENGTH = BackgroundJob._meta.get_field("message").max_length
ERROR_MAX_LENGTH = 2000
# Stored untranslated: the owner's language is unknown when a worker writes it.
GENERIC_FAILURE = gettext_noop("The job failed.")
WORKER_LOST_RETRYING = gettext_noop(
    "The worker running this job stopped; the job was started again."
)
WORKER_LOST_FAILURE = gettext_noop(
    "The worker running this job stopped, and the job did not finish after several attempts."
)
RUNNING = (Status.STARTED, Status.PROGRESS)


class JobError(Exception):
    """Raise from a tracked task to fail its job with ``message`` shown to the owner."""


class JobRevoked(Exception):
    """The job was revoked: the tracked task stops without touching it again."""


class JobRunningElsewhere(Exception):
    """Another live run (a different task id, heartbeat fresh) already works on the job."""


def heartbeat_timeout() -> timedelta:
    return timedelta(seconds=getattr(settings, "JOBS_HEARTBEAT_TIMEOUT", 180))


def _lock(job_id: int) -> BackgroundJob:
    return BackgroundJob.objects.select_for_update().get(pk=job_id)


def _finish(job: BackgroundJob) -> None:
    """Publish :class:`core.events.JobFinished` for a job that just reached a final state."""
    events.publish(
        events.JobFinished(
            job_id=job.pk, owner_id=job.owner_id, kind=job.kind, status=str(job.status)
        )
    )


def job_get_for_owner(*, owner: Any, job_id: int) -> BackgroundJob:
    """The job ``job_id`` if ``owner`` owns it.

    Raises ``NotFound`` for an unknown id and for anybody else's job, so a job's
    existence is not revealed to others. ``job_id`` is an int: the API's path
    converter refuses a malformed one with a 404 before this runs.
    """
    if owner is None or not owner.is_authenticated:
        raise NotFound()
    try:
        return BackgroundJob.objects.get(pk=job_id, owner=owner)
    except BackgroundJob.DoesNotExist:
        raise NotFound() from None


def job_create(*, owner: Any | None, kind: str, task_id: str = "") -> BackgroundJob:
    """Create a PENDING job of ``kind`` for ``owner`` (``None`` for system work).

    Raises ``ValidationError`` for a blank or over-long kind.
    """
    job = BackgroundJob(owner=owner, kind=kind, task_id=task_id)
    job.full_clean()
    with transaction.atomic():
        job.save(force_insert=True)
    return job


@transaction.atomic
def job_started(
    *,
    job_id: int,
    task_id: str = "",
    task_name: str = "",
    task_kwargs: dict[str, Any] | None = None,
) -> BackgroundJob:
    """Mark an attempt as started: STARTED, one more attempt, ``started_at`` on the first,
    a fresh heartbeat, and the task that runs it (so the reaper can run it again).

    A finished job is returned unchanged (check ``is_finished`` before working).
    Raises ``BackgroundJob.DoesNotExist`` for an unknown id, and
    :class:`JobRunningElsewhere` when another task id runs it with a fresh heartbeat.
    """
    job = _lock(job_id)
    if job.is_finished:
        return job
    now = timezone.now()
    if (
        job.status in RUNNING
        and task_id
        and job.task_id
        and job.task_id != task_id
        and job.heartbeat_at is not None
        and job.heartbeat_at > now - heartbeat_timeout()
    ):
        raise JobRunningElsewhere(job_id)
    job.status = Status.STARTED
    job.attempts += 1
    job.started_at = job.started_at or now
    job.heartbeat_at = now
    if task_id:
        job.task_id = task_id
    if task_name:
        job.task_name = task_name
        job.task_kwargs = task_kwargs
    job.save(
        update_fields=[
            "status",
            "attempts",
            "started_at",
            "heartbeat_at",
            "task_id",
            "task_name",
            "task_kwargs",
            "updated_at",
        ]
    )
    return job


def job_heartbeat(*, job_id: int, task_id: str) -> bool:
    """Refresh a running job's heartbeat; False when the job is no longer this task's."""
    return bool(
        BackgroundJob.objects.filter(pk=job_id, status__in=RUNNING, task_id=task_id).update(
            heartbeat_at=timezone.now()
        )
    )


def job_reap_lost() -> dict[str, int]:
    """Look after running jobs whose heartbeat stopped: their worker vanished.

    Each is enqueued again under a new task id (status RETRY, with a message for the
    owner) while it has had fewer than ``JOBS_LOST_MAX_ATTEMPTS`` attempts; otherwise
    it is failed with :data:`WORKER_LOST_FAILURE` and its task's ``job_lost`` hook runs.
    Rows another reaper holds are skipped. Returns ``{"retried": n, "failed": m}``.
    """
    stale = timezone.now() - heartbeat_timeout()
    max_attempts = getattr(settings, "JOBS_LOST_MAX_ATTEMPTS", 3)
    outcome = {"retried": 0, "failed": 0}
    candidates = BackgroundJob.objects.filter(status__in=RUNNING, heartbeat_at__lt=stale)
    for job_id in candidates.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            job = (
                BackgroundJob.objects.select_for_update(skip_locked=True)
                .filter(pk=job_id, status__in=RUNNING, heartbeat_at__lt=stale)
                .first()
            )
            if job is None:
                continue
            task = current_app.tasks.get(job.task_name) if job.task_name else None
            if task is not None and job.attempts < max_attempts:
                _requeue(job, task)
                outcome["retried"] += 1
                continue
        job_failed(job_id=job_id, error=WORKER_LOST_FAILURE)
        hook = getattr(task, "job_lost", None)
        if hook is not None:
            try:
                hook(reason=WORKER_LOST_FAILURE, **(job.task_kwargs or {}))
            except Exception:
                logger.exception("job_lost hook failed", extra={"job_id": job_id})
        logger.warning("job failed: its worker vanished", extra={"job_id": job_id})
        outcome["failed"] += 1
    return outcome


def _requeue(job: BackgroundJob, task: Task) -> None:
    """Enqueue ``job``'s task again under a new id once this transaction commits (locked)."""
    task_id = uuid.uuid4().hex
    job.status = Status.RETRY
    job.task_id = task_id
    job.message = WORKER_LOST_RETRYING[:MESSAGE_MAX_LENGTH]
    job.save(update_fields=["status", "task_id", "message", "updated_at"])
    kwargs = dict(job.task_kwargs or {})
    transaction.on_commit(lambda: task.apply_async(kwargs=kwargs, task_id=task_id))
    logger.warning("job enqueued again: its worker vanished", extra={"job_id": job.pk})


@transaction.atomic
def job_progress(*, job_id: int, progress: int, message: str = "") -> BackgroundJob:
    """Report progress (0..100) and an optional message for the owner.

    Progress never goes backwards: a lower value than the job already reported
    (a retry starting over, say) keeps the higher one. Raises ``ValidationError``
    when ``progress`` is not an integer from 0 to 100, and :class:`JobRevoked`
    when the job was revoked, so the task can stop.
    """
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ValidationError(
            _("Progress must be a whole number from 0 to 100."), code="invalid_progress"
        )
    job = _lock(job_id)
    if job.status == Status.REVOKED:
        raise JobRevoked(job_id)
    if job.is_finished:
        return job
    job.status = Status.PROGRESS
    job.progress = max(job.progress, progress)
    if message:
        job.message = message[:MESSAGE_MAX_LENGTH]
    job.save(update_fields=["status", "progress", "message", "updated_at"])
    return job


@transaction.atomic
def job_succeeded(*, job_id: int, result: Any = None) -> BackgroundJob:
    """Finish the job: SUCCESS, progress 100, ``result`` (JSON-serialisable) stored."""
    job = _lock(job_id)
    if job.is_finished:
        return job
    job.status = Status.SUCCESS
    job.progress = 100
    job.result = result
    job.error = ""
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "progress", "result", "error", "finished_at", "updated_at"])
    _finish(job)
    return job


@transaction.atomic
def job_failed(*, job_id: int, error: str) -> BackgroundJob:
    """Finish the job: FAILURE with ``error``, a message its owner may read."""
    job = _lock(job_id)
    if job.is_finished:
        return job
    job.status = Status.FAILURE
    job.error = error[:ERROR_MAX_LENGTH]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    _finish(job)
    return job


@transaction.atomic
def job_retrying(*, job_id: int, error: str = "") -> BackgroundJob:
    """Mark the job RETRY (its task will run again), keeping the last attempt's error."""
    job = _lock(job_id)
    if job.is_finished:
        return job
    job.status = Status.RETRY
    job.error = error[:ERROR_MAX_LENGTH]
    job.save(update_fields=["status", "error", "updated_at"])
    return job


@transaction.atomic
def job_revoked(*, job_id: int) -> BackgroundJob:
    """Cancel the job: REVOKED. Its task skips it, or stops at its next progress report.

    Raises ``ValidationError`` when the job has already finished.
    """
    job = _lock(job_id)
    if job.is_finished:
        raise ValidationError(_("This job has already finished."), code="finished")
    job.status = Status.REVOKED
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at", "updated_at"])
    _finish(job)
    return job


class TrackedTask(Task):
    """A Celery task that keeps its ``BackgroundJob`` (the ``job_id`` keyword) up to date.

    Every run counts an attempt and marks the job STARTED; the return value
    finishes it as SUCCESS; ``self.retry()`` (or ``autoretry_for``) marks it RETRY;
    a :class:`JobError` fails it with its message, any other exception with a
    generic message (the traceback goes to the log). A finished or revoked job is
    skipped, which makes a duplicate delivery harmless.
    """

    abstract = True
    #: Called by the reaper as ``job_lost(reason=..., **task_kwargs)`` when the job is
    #: failed because its worker vanished: undo what waits on it (a processing state).
    job_lost = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        job_id = kwargs.get("job_id")
        if job_id is None:
            raise TypeError(f"{self.name} is a tracked task: call it with job_id=")
        task_id = self.request.id or ""
        try:
            job = job_started(
                job_id=job_id, task_id=task_id, task_name=self.name, task_kwargs=kwargs
            )
        except JobRunningElsewhere:
            logger.info("skipping a job another run holds", extra={"job_id": job_id})
            return None
        if job.is_finished:
            logger.info("skipping finished job", extra={"job_id": job_id, "task": self.name})
            return None
        heartbeat = None if self.request.is_eager else _Heartbeat(job_id=job_id, task_id=task_id)
        try:
            if heartbeat is not None:
                heartbeat.start()
            result = super().__call__(*args, **kwargs)
        except JobRevoked:
            logger.info("job revoked while running", extra={"job_id": job_id, "task": self.name})
            return None
        except Retry as exc:
            reason = str(exc.exc) if isinstance(exc.exc, JobError) else ""
            job_retrying(job_id=job_id, error=reason)
            raise
        except JobError as exc:
            job_failed(job_id=job_id, error=str(exc))
            raise
        except Exception:
            logger.exception("tracked task failed", extra={"job_id": job_id, "task": self.name})
            job_failed(job_id=job_id, error=GENERIC_FAILURE)
            raise
        finally:
            if heartbeat is not None:
                heartbeat.stop()
        job_succeeded(job_id=job_id, result=result)
        return result

    def report_progress(self, progress: int, message: str = "") -> BackgroundJob:
        """Report this run's progress on its job (see :func:`job_progress`)."""
        return job_progress(
            job_id=self.request.kwargs["job_id"], progress=progress, message=message
        )


class _Heartbeat:
    """A daemon thread refreshing a running job's heartbeat until stopped."""

    def __init__(self, *, job_id: int, task_id: str) -> None:
        self.job_id = job_id
        self.task_id = task_id
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"job-heartbeat-{job_id}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        interval = getattr(settings, "JOBS_HEARTBEAT_SECONDS", 30)
        try:
            while not self._stopped.wait(interval):
                try:
                    job_heartbeat(job_id=self.job_id, task_id=self.task_id)
                except Exception:
                    logger.warning("job heartbeat failed", exc_info=True)
                    close_old_connections()
        finally:
            connection.close()


def tracked_task(*args: Any, **options: Any):
    """Declare a bound :class:`TrackedTask`: ``@tracked_task(name=..., max_retries=...)``."""
    options.setdefault("bind", True)
    options.setdefault("base", TrackedTask)
    return shared_task(*args, **options)
