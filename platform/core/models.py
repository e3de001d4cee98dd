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
    started_at = models.DateTimeField(null=True, blank=True)
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
