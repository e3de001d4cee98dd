"""Base models shared by every app."""

from django.db import models

from core.ids import generate_id


class SnowflakeIdField(models.BigIntegerField):
    """A primary key filled with a time-ordered id from :func:`core.ids.generate_id`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("default", generate_id)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key, value in (("primary_key", True), ("default", generate_id), ("editable", False)):
            if kwargs.get(key) == value:
                del kwargs[key]
        return name, path, args, kwargs


class TimestampedModel(models.Model):
    """Created and updated times for every row."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PublicModel(TimestampedModel):
    """A model clients address by id: a time-ordered 64-bit id, sent as a string."""

    id = SnowflakeIdField()

    class Meta:
        abstract = True


class BackgroundJob(PublicModel):
    """Long-running work a user or operator waits on: its state, progress and outcome.

    Services create a job, enqueue a Celery task with its id, and the task reports
    through :mod:`core.jobs`. ``owner`` may read it at ``/api/agora/v1/jobs/<id>``.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "pending"
        STARTED = "STARTED", "started"
        PROGRESS = "PROGRESS", "in progress"
        SUCCESS = "SUCCESS", "succeeded"
        FAILURE = "FAILURE", "failed"
        RETRY = "RETRY", "retrying"
        REVOKED = "REVOKED", "revoked"

    FINISHED = frozenset({Status.SUCCESS, Status.FAILURE, Status.REVOKED})

    owner = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="background_jobs",
    )
    kind = models.CharField(max_length=100, db_index=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=255, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=255, blank=True, db_index=True)
    # The running task's name and keyword arguments, so a job whose worker vanished can
    # be enqueued again (core.jobs.job_reap_lost).
    task_name = models.CharField(max_length=255, blank=True)
    task_kwargs = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Refreshed by the running task every JOBS_HEARTBEAT_SECONDS: a STARTED job whose
    # heartbeat is older than JOBS_HEARTBEAT_TIMEOUT lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="core_backgroundjob_progress_lte_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class OutboxEvent(models.Model):
    """A domain event written in its publisher's transaction, waiting for its handlers.

    :func:`core.events.publish` inserts the row; the relay (:mod:`core.events`) delivers
    it to every subscribed handler, records each handler that succeeded in
    ``delivered_to`` so it is not run again, and marks the row DONE. A row whose
    handlers keep failing is retried with backoff until ``EVENTS_MAX_ATTEMPTS``, then
    left FAILED with ``last_error`` for operators.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "pending"
        DONE = "DONE", "delivered"
        FAILED = "FAILED", "failed"

    id = models.BigAutoField(primary_key=True)
    event_type = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    delivered_to = models.JSONField(default=list, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    next_attempt_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="core_outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.pk} ({self.status})"


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker reported in (see :mod:`core.health`)."""

    hostname = models.CharField(max_length=255, primary_key=True)
    last_seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.hostname} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"
