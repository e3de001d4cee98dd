"""A viewer's own filters, with the keywords and statuses they match."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.feed.models.statuses import Status
from core.models import PublicModel


class Filter(PublicModel):
    """A viewer's own filter (Mastodon's CustomFilter): what it hides or warns about, and where.

    It matches a status by one of its ``keywords`` (:class:`FilterKeyword`) or by naming
    it (:class:`FilterStatus`); ``context`` lists where it applies. Once ``expires_at`` has
    passed it applies nowhere. Rules are applied by :mod:`apps.feed.selectors.filters`.
    """

    class Context(models.TextChoices):
        HOME = "home", _("home and lists")
        NOTIFICATIONS = "notifications", _("notifications")
        PUBLIC = "public", _("public timelines")
        THREAD = "thread", _("conversations")
        ACCOUNT = "account", _("profiles")

    class Action(models.TextChoices):
        WARN = "warn", _("warn")
        HIDE = "hide", _("hide")
        BLUR = "blur", _("blur media")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="filters"
    )
    title = models.CharField(max_length=256)
    context = models.JSONField(default=list)
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.WARN)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "-id"], name="feed_filter_account_id")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.title}"

    def is_active(self, now=None) -> bool:
        """Whether the filter still applies (it has no expiry, or it lies ahead)."""
        return self.expires_at is None or self.expires_at > (now or timezone.now())


class FilterKeyword(PublicModel):
    """A word or phrase a :class:`Filter` matches, case-insensitively (``whole_word``:
    only at word boundaries). Through ``/api/v1/filters`` each keyword is a v1 filter."""

    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="keywords")
    keyword = models.CharField(max_length=512)
    whole_word = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.keyword


class FilterStatus(PublicModel):
    """A status a :class:`Filter` matches by itself (and any reblog of it)."""

    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="statuses")
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name_plural = "filter statuses"
        constraints = [
            models.UniqueConstraint(fields=["filter", "status"], name="feed_filter_status_unique")
        ]

    def __str__(self) -> str:
        return f"{self.filter_id}: {self.status_id}"
