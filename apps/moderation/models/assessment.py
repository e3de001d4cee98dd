"""The automated side: assessments of content, the policies that decide, known media hashes."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimestampedModel


class Category(models.TextChoices):
    OFFENSIVE = "offensive", _("Offensive language")
    SPAM = "spam", _("Spam")
    SCAM = "scam", _("Scam")
    PII = "pii", _("Personal data")
    LINK = "link", _("Unsafe link")
    MEDIA_MATCH = "media_match", _("Known media")


class Decision(models.TextChoices):
    """What a policy does with content, mildest first."""

    ALLOW = "allow", _("Allow")
    QUEUE = "queue", _("Queue for human review")
    HIDE = "hide", _("Hide until reviewed")
    REMOVE = "remove", _("Remove")


class Assessment(models.Model):
    """One automated assessment of one piece of content, kept as evidence.

    ``evidence`` is a snapshot of the content as it was assessed (text, media
    hashes, author, times): later edits or deletion of the content do not change
    it, and the row itself is never updated after it is written.
    """

    class Trigger(models.TextChoices):
        PUBLISHED = "published", _("Published")
        UPDATED = "updated", _("Updated")
        MANUAL = "manual", _("Manual")

    content_type = models.CharField(max_length=32)
    content_id = models.BigIntegerField()
    # A plain id, not a foreign key: the evidence outlives the account.
    author_id = models.BigIntegerField(db_index=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    # {"offensive": {"score": 0.97, "confidence": 0.9, "assessor": "profanity"}, ...}
    scores = models.JSONField(default=dict)
    # {"profanity": "alt-profanity-check 1.9.1", ...}
    model_versions = models.JSONField(default=dict)
    # {"text": ..., "spoiler_text": ..., "media_hashes": [...], "author": {...}, "content_created_at": ...}
    evidence = models.JSONField(default=dict)
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.ALLOW)
    # The category whose policy produced the decision ("" when allowed).
    category = models.CharField(max_length=16, choices=Category.choices, blank=True)
    top_score = models.FloatField(default=0.0)
    duration_ms = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["content_type", "content_id", "-created_at"], name="mod_assess_content"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_type}:{self.content_id} → {self.decision}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValidationError(_("An assessment is evidence and cannot be changed."))
        super().save(*args, **kwargs)


class Policy(models.Model):
    """What automated moderation does per category, by score thresholds (0..1).

    A score at or above ``remove_threshold`` removes, else at or above
    ``hide_threshold`` hides until reviewed, else at or above ``queue_threshold``
    queues for review; below all three the content is allowed. A threshold above 1
    disables that step.
    """

    category = models.CharField(max_length=16, choices=Category.choices, unique=True)
    is_enabled = models.BooleanField(default=True)
    queue_threshold = models.FloatField(default=0.5)
    hide_threshold = models.FloatField(default=0.8)
    remove_threshold = models.FloatField(default=1.01)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "policies"
        ordering = ["category"]

    def __str__(self) -> str:
        return self.get_category_display()

    def clean(self) -> None:
        for name in ("queue_threshold", "hide_threshold", "remove_threshold"):
            value = getattr(self, name)
            if value is None or value < 0:
                raise ValidationError(
                    {name: _("A threshold is a score from 0 to 1 (above 1 disables the step).")}
                )
        if not self.queue_threshold <= self.hide_threshold <= self.remove_threshold:
            raise ValidationError(_("Thresholds must not decrease: queue ≤ hide ≤ remove."))

    def decide(self, score: float) -> Decision:
        if not self.is_enabled:
            return Decision.ALLOW
        if score >= self.remove_threshold:
            return Decision.REMOVE
        if score >= self.hide_threshold:
            return Decision.HIDE
        if score >= self.queue_threshold:
            return Decision.QUEUE
        return Decision.ALLOW


class KnownMediaHash(TimestampedModel):
    """A perceptual hash of known bad media that moderators maintain."""

    hash = models.CharField(
        max_length=64, db_index=True, help_text=_("Hexadecimal perceptual hash (pHash).")
    )
    label = models.CharField(max_length=200, help_text=_("What the content is, for moderators."))
    max_distance = models.PositiveSmallIntegerField(
        default=8, help_text=_("Largest Hamming distance still counted as a match.")
    )
    is_active = models.BooleanField(default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "known media hash"

    def __str__(self) -> str:
        return f"{self.label} ({self.hash})"

    def clean(self) -> None:
        try:
            int(self.hash, 16)
        except (TypeError, ValueError):
            raise ValidationError({"hash": _("A perceptual hash is hexadecimal.")}) from None
