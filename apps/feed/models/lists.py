"""An account's lists of the accounts it follows, and their members."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.feed.models.relationships import Follow
from core.models import PublicModel


class List(PublicModel):
    """An account's list of accounts it follows, read as a timeline of their statuses (Mastodon's
    List). ``exclusive``: the members' statuses stay out of the owner's home timeline."""

    TITLE_MAX_LENGTH = 256
    PER_ACCOUNT_LIMIT = 50

    class RepliesPolicy(models.TextChoices):
        FOLLOWED = "followed", _("replies to any followed account")
        LIST = "list", _("replies to members of the list")
        NONE = "none", _("no replies")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    replies_policy = models.CharField(
        max_length=8, choices=RepliesPolicy.choices, default=RepliesPolicy.LIST
    )
    exclusive = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["account", "id"], name="feed_list_account")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.title}"


class ListAccount(models.Model):
    """``account`` is a member of ``list``: through the owner's follow of it (which takes the
    membership along when it goes, as Mastodon's), or without one when it is the owner."""

    list = models.ForeignKey(List, on_delete=models.CASCADE, related_name="memberships")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    follow = models.ForeignKey(
        Follow, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["list", "account"], name="feed_listaccount_unique")
        ]
        indexes = [models.Index(fields=["account", "list"], name="feed_listaccount_account")]

    def __str__(self) -> str:
        return f"{self.account_id} in {self.list_id}"
