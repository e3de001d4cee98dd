"""Base models shared by every app, and the platform's kernel tables (jobs, outbox, audit)."""

import functools
import inspect
from collections.abc import Collection
from typing import Any, Self

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.base import ModelState
from django.db.models.fields.files import FileDescriptor
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


# The descriptors of a field's attribute whose assignment, on an instance being loaded,
# only stores the value in the instance's __dict__: a plain column's (no __set__), a
# foreign key's id (its cached related object, which a new instance has not got, is
# dropped on change) and a file's (an image's dimensions are updated only when it
# replaces a file, which a new instance has not got).
_STORED_AS_GIVEN = (DeferredAttribute, ForeignKeyDeferredAttribute, FileDescriptor)


class RowLoading(models.Model):
    """Loads a model's full rows by filling each instance's ``__dict__`` at once.

    Django builds an instance from a row (``Model.from_db``) through ``Model.__init__``,
    which assigns each column through its descriptor: about 7 µs for a 36-column account
    on this project's bench, and a page of notifications builds some eighty instances (a
    status, its account, the sender). Where both ways build the same instance, this
    override of ``from_db`` (the hook Django documents for customising loading) stores
    the columns directly: about 2 µs. It does so only when the row holds every column
    (no ``only()`` or ``defer()``), the model keeps Django's ``__init__``, no receiver
    listens to ``pre_init`` or ``post_init`` for it, and every column's attribute is one
    whose assignment only stores the value (:data:`_STORED_AS_GIVEN`); otherwise it is
    Django's ``from_db``. ``tests/core/test_row_loading.py`` checks that both build the
    same instance for every model that loads this way.
    """

    class Meta:
        abstract = True

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        attnames = _direct_attnames(cls)
        if (
            attnames is None
            or len(values) != len(attnames)
            or pre_init.has_listeners(cls)
            or post_init.has_listeners(cls)
        ):
            return super().from_db(db, field_names, values, **kwargs)
        new = cls.__new__(cls)
        new.__dict__.update(zip(attnames, values, strict=True))
        state = new._state = ModelState()
        state.adding = False
        state.db = db
        return new


@functools.cache
def _direct_attnames(model: type[models.Model]) -> tuple[str, ...] | None:
    """The attribute names of ``model``'s columns in row order, or None when an instance of
    it must be built by ``Model.__init__`` (see :class:`RowLoading`)."""
    fields = model._meta.concrete_fields
    if model.__init__ is not models.Model.__init__ or not all(
        isinstance(inspect.getattr_static(model, field.attname, None), _STORED_AS_GIVEN)
        for field in fields
    ):
        return None
    return tuple(field.attname for field in fields)


class TimestampedModel(RowLoading):
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

    def validate_unique(self, exclude=None):
        """Django's checks, without looking up a new row's id: generated here (a snowflake,
        never taken from input), so the lookup is a query per ``full_clean`` that cannot
        fail, and the primary key would refuse a duplicate anyway."""
        if self._state.adding:
            exclude = {*(exclude or ()), "id"}
        super().validate_unique(exclude=exclude)


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


class AuditAction(models.TextChoices):
    """Every audited event, one member each; written only by :mod:`core.audit`.

    The values are the action names moderation's trail used before the trail moved to
    core, so rows copied from it keep theirs and the back office's filters read the same.
    """

    # Review cases.
    CASE_OPENED = "case_opened", _("case opened")
    CASE_JOINED = "case_joined", _("case joined")
    REPORT_FILED = "report_filed", _("report filed")
    CASE_CLAIMED = "case_claimed", _("case claimed")
    CASE_UNCLAIMED = "case_unclaimed", _("case unclaimed")
    CASE_REOPENED = "case_reopened", _("case reopened")
    # A decision on a case, one member per action, alone or as part of a bulk action.
    CASE_APPROVE = "case_approve", _("case approved")
    CASE_HIDE = "case_hide", _("case: content hidden")
    CASE_REMOVE = "case_remove", _("case: content removed")
    CASE_SENSITIVE = "case_sensitive", _("case: content marked sensitive")
    CASE_LIMIT = "case_limit", _("case: account limited")
    CASE_SUSPEND = "case_suspend", _("case: account suspended")
    CASE_WARN = "case_warn", _("case: author warned")
    CASE_APPROVE_BULK = "case_approve_bulk", _("case approved (bulk)")
    CASE_HIDE_BULK = "case_hide_bulk", _("case: content hidden (bulk)")
    CASE_REMOVE_BULK = "case_remove_bulk", _("case: content removed (bulk)")
    CASE_SENSITIVE_BULK = "case_sensitive_bulk", _("case: content marked sensitive (bulk)")
    CASE_LIMIT_BULK = "case_limit_bulk", _("case: account limited (bulk)")
    CASE_SUSPEND_BULK = "case_suspend_bulk", _("case: account suspended (bulk)")
    CASE_WARN_BULK = "case_warn_bulk", _("case: author warned (bulk)")
    # A moderator's decision on an account: from a case, or Mastodon's admin actions.
    ACCOUNT_NONE = "account_none", _("account warned")
    ACCOUNT_SENSITIVE = "account_sensitive", _("account's media marked sensitive")
    ACCOUNT_LIMIT = "account_limit", _("account limited")
    ACCOUNT_SILENCE = "account_silence", _("account silenced")
    ACCOUNT_SUSPEND = "account_suspend", _("account suspended")
    ACCOUNT_DISABLE = "account_disable", _("account disabled")
    ACCOUNT_ENABLE = "account_enable", _("account enabled")
    ACCOUNT_UNSILENCE = "account_unsilence", _("account unsilenced")
    ACCOUNT_UNSUSPEND = "account_unsuspend", _("account unsuspended")
    # Strikes and the strike policy.
    STRIKE_CREATED = "strike_created", _("strike given")
    STRIKE_POLICY_RESTRICTED = "strike_policy_restricted", _("standing set by the strike policy")
    # The automated pipeline's settings.
    POLICY_CHANGED = "policy_changed", _("policy changed")
    KNOWN_MEDIA_HASH_ADDED = "known_media_hash_added", _("known media hash added")
    KNOWN_MEDIA_HASH_CHANGED = "known_media_hash_changed", _("known media hash changed")
    KNOWN_MEDIA_HASH_DELETED = "known_media_hash_deleted", _("known media hash deleted")
    # Someone's personal data seen in the back office.
    PERSONAL_DATA_VIEWED = "personal_data_viewed", _("personal data viewed")
    # Back-office roles.
    ROLE_GRANTED = "role_granted", _("role granted")
    ROLE_REVOKED = "role_revoked", _("role revoked")
    # Billing: creators' payouts, and Stripe events processed again.
    PAYOUT_HOLD_PLACED = "payout_hold_placed", _("payout hold placed")
    PAYOUT_HOLD_RELEASED = "payout_hold_released", _("payout hold released")
    STRIPE_EVENT_REPLAYED = "stripe_event_replayed", _("Stripe event replayed")
    BILLING_EXPORTED = "billing_exported", _("billing period exported")
    # Live streams: staff's kill switch (ended, key rotated, with a reason).
    LIVE_STREAM_KILLED = "live_stream_killed", _("live stream killed")
    LIVE_RESTRICTED = "live_restricted", _("barred from going live")
    LIVE_RESTRICTION_LIFTED = "live_restriction_lifted", _("allowed to go live again")
    LIVE_CHAT_MESSAGE_HIDDEN = "live_chat_message_hidden", _("live chat message hidden")
    LIVE_CHAT_MESSAGE_RESTORED = "live_chat_message_restored", _("live chat message restored")
    LIVE_CHANNEL_BAN_ADDED = "live_channel_ban_added", _("live channel ban added")
    LIVE_CHANNEL_BAN_REMOVED = "live_channel_ban_removed", _("live channel ban removed")
    LIVE_CHANNEL_MODERATOR_ADDED = "live_channel_moderator_added", _("live channel moderator added")
    LIVE_CHANNEL_MODERATOR_REMOVED = (
        "live_channel_moderator_removed",
        _("live channel moderator removed"),
    )
    LIVE_CHAT_TIMEOUT_ADDED = "live_chat_timeout_added", _("live chat timeout given")
    LIVE_CHAT_TIMEOUT_LIFTED = "live_chat_timeout_lifted", _("live chat timeout lifted")
    SHIELD_LOWERED = "shield_lowered", _("shield lowered by staff")
    # Link safety: the domain blocklist, by hand in the admin or imported from a list.
    BLOCKED_DOMAIN_ADDED = "blocked_domain_added", _("blocked domain added")
    BLOCKED_DOMAIN_CHANGED = "blocked_domain_changed", _("blocked domain changed")
    BLOCKED_DOMAIN_DELETED = "blocked_domain_deleted", _("blocked domain deleted")
    # Lookalike names: a moderator's decision on a flag.
    LOOKALIKE_FLAG_RESOLVED = "lookalike_flag_resolved", _("lookalike name flag resolved")
    LOOKALIKE_FLAG_DISMISSED = "lookalike_flag_dismissed", _("lookalike name flag dismissed")
    # Reputation: staff had an account's trust score recomputed.
    REPUTATION_RECOMPUTED = "reputation_recomputed", _("reputation recomputed")


class AuditEntryQuerySet(models.QuerySet):
    """Append-only: rows are created, never changed or removed, even in bulk."""

    def update(self, **kwargs):
        raise PermissionDenied(_("Audit entries cannot be changed."))

    def delete(self):
        raise PermissionDenied(_("Audit entries cannot be deleted."))

    def bulk_update(self, objs, fields, batch_size=None):
        raise PermissionDenied(_("Audit entries cannot be changed."))

    def about(self, target_type: str, target_id: int) -> "AuditEntryQuerySet":
        """The trail of one target, newest first."""
        return self.filter(target_type=target_type, target_id=target_id)


class AuditEntry(models.Model):
    """Who did what to which target, with the state before and after; never edited.

    Written only through :mod:`core.audit`, by every app (moderation's decisions,
    role changes, ...); it is a record for people, and no behaviour reads it. The
    model, its queryset and its admin refuse changes and deletion; on PostgreSQL and
    SQLite a database trigger refuses UPDATE (and DELETE on PostgreSQL) too, whoever
    runs it.
    """

    # Plain ids and a copy of the name, not foreign keys: the trail outlives accounts.
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, choices=AuditAction.choices, db_index=True)
    target_type = models.CharField(max_length=32)
    target_id = models.BigIntegerField()
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="core_audit_target")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor_name or 'system'} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied(_("Audit entries cannot be changed."))
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied(_("Audit entries cannot be deleted."))
