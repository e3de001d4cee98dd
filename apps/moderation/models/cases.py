"""The human side: review cases, community reports, server rules and strikes.

The audit trail is core's (:class:`core.models.AuditEntry`, written through :mod:`core.audit`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import PublicModel, TimestampedModel

__all__ = [
    "Case",
    "CaseAction",
    "PolicyRestriction",
    "Report",
    "Rule",
    "Strike",
    "StrikeQuerySet",
]


class CaseAction(models.TextChoices):
    """What a moderator does with a case (the review queue and the admin API)."""

    APPROVE = "approve", _("Approve")
    HIDE = "hide", _("Hide")
    REMOVE = "remove", _("Remove")
    SENSITIVE = "sensitive", _("Mark sensitive")
    LIMIT = "limit", _("Limit the account")
    SUSPEND = "suspend", _("Suspend the account")
    WARN = "warn", _("Warn")


class Rule(models.Model):
    """A server rule (Mastodon's ``Rule``), shown at ``/api/v1/instance/rules``."""

    text = models.CharField(max_length=300)
    hint = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class CaseQuerySet(models.QuerySet):
    def open(self) -> CaseQuerySet:
        return self.filter(state=Case.State.OPEN)

    def queue_order(self) -> CaseQuerySet:
        """Highest priority first, then the oldest."""
        return self.order_by("-priority", "created_at")


class Case(TimestampedModel):
    """One piece of content (or one account) that needs a moderator's decision.

    Automated assessments and community reports about the same target join the
    one open case about it; the case keeps the queue's priority, the claim lock
    and, once resolved, the decision.
    """

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    class Source(models.TextChoices):
        AUTOMATED = "automated", _("Automated")
        REPORT = "report", _("Report")

    # "status", "media", ... or "account" when a report names no content.
    content_type = models.CharField(max_length=32)
    content_id = models.BigIntegerField()
    # Plain ids, not foreign keys: the case outlives the account.
    author_id = models.BigIntegerField(db_index=True)
    category = models.CharField(max_length=16, db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    from_automated = models.BooleanField(default=False)
    report_count = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    score = models.FloatField(default=0.0, help_text=_("Highest automated score, 0..1."))
    reach = models.PositiveIntegerField(default=0, help_text=_("Followers and engagement."))
    reporter_weight = models.FloatField(default=0.0, help_text=_("Sum of the reporters' trust."))
    priority = models.FloatField(default=0.0, db_index=True)
    hidden = models.BooleanField(default=False, help_text=_("Hidden until reviewed."))
    assessment = models.ForeignKey(
        "moderation.Assessment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    claimed_until = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.CharField(max_length=16, choices=CaseAction.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    resolution_reason = models.TextField(blank=True, help_text=_("Shown to the user."))

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "content_id"],
                condition=Q(state="open"),
                name="moderation_case_one_open_per_content",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "-priority", "created_at"], name="mod_case_queue"),
        ]
        permissions = [("act_on_case", "Can act on review cases")]

    def __str__(self) -> str:
        return f"case {self.pk}: {self.content_type}:{self.content_id} ({self.category})"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def claimed_by_other(self, user, *, now=None) -> bool:
        now = now or timezone.now()
        return bool(
            self.assigned_to_id
            and self.assigned_to_id != user.pk
            and self.claimed_until
            and self.claimed_until > now
        )

    # Lower bounds of the "high" and "medium" bands; below is "low".
    PRIORITY_BANDS = (3.0, 1.5)

    @property
    def priority_band(self) -> str:
        if self.priority >= self.PRIORITY_BANDS[0]:
            return "high"
        if self.priority >= self.PRIORITY_BANDS[1]:
            return "medium"
        return "low"


class Report(PublicModel):
    """A community report (Mastodon's ``Report``): about an account and some of its statuses."""

    class Category(models.TextChoices):
        SPAM = "spam", _("Spam")
        LEGAL = "legal", _("Legal")
        VIOLATION = "violation", _("Rule violation")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Rejected")

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_filed"
    )
    target_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_received"
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reports")
    category = models.CharField(max_length=16, choices=Category.choices)
    comment = models.TextField(blank=True, max_length=1000)
    forwarded = models.BooleanField(default=False)
    status_ids = models.JSONField(default=list, blank=True)
    rules = models.ManyToManyField(Rule, blank=True, related_name="reports")
    # The reporter's trust when they filed it (0..1), part of the case's priority.
    trust = models.FloatField(default=0.5)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    action_taken_at = models.DateTimeField(null=True, blank=True)
    action_taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["reporter", "outcome"], name="mod_report_reporter")]

    def __str__(self) -> str:
        return f"report {self.pk} by {self.reporter_id} on {self.target_account_id}"

    @property
    def action_taken(self) -> bool:
        return self.outcome != self.Outcome.PENDING


class StrikeQuerySet(models.QuerySet):
    def active(self, *, now=None) -> StrikeQuerySet:
        """Strikes that have not expired (expiry-aware: no periodic task needed to be right)."""
        now = now or timezone.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class Strike(PublicModel):
    """A Mastodon account warning: what was done, why, to which statuses; it expires."""

    class Action(models.TextChoices):
        NONE = "none", _("Warning")
        DISABLE = "disable", _("Login disabled")
        MARK_STATUSES_AS_SENSITIVE = "mark_statuses_as_sensitive", _("Statuses marked sensitive")
        DELETE_STATUSES = "delete_statuses", _("Statuses removed")
        SENSITIVE = "sensitive", _("Account marked sensitive")
        SILENCE = "silence", _("Account limited")
        SUSPEND = "suspend", _("Account suspended")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strikes"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    text = models.TextField(blank=True, help_text=_("The reason, shown to the user."))
    status_ids = models.JSONField(default=list, blank=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="strikes"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    expired_handled = models.BooleanField(default=False)

    objects = StrikeQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"strike {self.pk} ({self.action}) on {self.account_id}"

    @property
    def is_active(self) -> bool:
        return self.expires_at is None or self.expires_at > timezone.now()


class PolicyRestriction(models.Model):
    """The standing the strike policy set on an account, which strike expiry may lift.

    Its own state, not read back from the audit trail: the policy
    (:func:`~apps.moderation.strikes.strike_policy_apply`) writes it when it restricts
    an account, expiry lowers or removes it, and a moderator's own decision on the account (a case's limit or suspend, an admin
    API action or lift) removes it, so expiry never undoes what a person decided.
    """

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    restriction = models.CharField(max_length=16)
    set_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.restriction} on {self.account_id} by the strike policy"
