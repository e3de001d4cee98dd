"""Reputation: each account's trust score, why it is what it is, and how it moved.

The score (0..1) and its level are what :mod:`core.reputation` answers with. The
components it was added up from are kept with it so that a moderator can read why
(:func:`apps.protection.services.reputation.reputation_compute`), and every change
leaves a history row. Strikes and report outcomes happen in moderation, above this
app: protection keeps its own ledger of them (:class:`ReputationSignal`), filled from
moderation's events, never reading moderation's tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.reputation import Level


class TrustLevel(models.TextChoices):
    NEW = Level.NEW, _("new")
    LOW = Level.LOW, _("low")
    NORMAL = Level.NORMAL, _("normal")
    ESTABLISHED = Level.ESTABLISHED, _("established")


class Reputation(models.Model):
    """One account's current trust: its score, its level and the score's components.

    Written only by the recompute service. An account without a row is scored from
    its age alone (nothing else has spoken about it yet).
    """

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="reputation",
    )
    score = models.FloatField()
    level = models.CharField(max_length=16, choices=TrustLevel.choices, db_index=True)
    # {"inputs": {...counts...}, "parts": {component: signed contribution}}
    components = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reputation")
        permissions = [("recompute_reputation", "Can have trust scores recomputed")]

    def __str__(self) -> str:
        return f"reputation of {self.account_id}: {self.score:.2f} ({self.level})"


class ReputationHistory(models.Model):
    """One change of an account's score or level, and the reason it was recomputed."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    previous = models.FloatField(null=True, blank=True)
    previous_level = models.CharField(max_length=16, blank=True)
    score = models.FloatField()
    level = models.CharField(max_length=16, choices=TrustLevel.choices)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="prot_rephist_account")]
        verbose_name = _("reputation change")
        verbose_name_plural = _("reputation history")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.previous} -> {self.score} ({self.reason})"


class ReputationSignal(models.Model):
    """Something moderation decided that weighs on an account: a strike, a report's outcome.

    Keyed by what moderation published (the strike's or the report's id), so a
    redelivered event changes nothing and a report decided again changes its outcome.
    """

    class Kind(models.TextChoices):
        STRIKE = "strike", _("strike received")
        REPORT = "report", _("report filed")

    class Outcome(models.TextChoices):
        STRIKE = "strike", _("strike")
        UPHELD = "upheld", _("upheld")
        REJECTED = "rejected", _("rejected")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    ref_id = models.BigIntegerField(help_text=_("The strike's or the report's id."))
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "ref_id"], name="prot_signal_unique"),
        ]
        indexes = [models.Index(fields=["account", "kind"], name="prot_signal_account")]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref_id} on {self.account_id}: {self.outcome}"
