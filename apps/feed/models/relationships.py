"""One account's relations to another, to a domain or to a tag: follows, blocks, mutes, notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Relationship(models.Model):
    """Base of the one-directional relationships between two accounts."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.account_id} -> {self.target_id}"


class Follow(Relationship):
    """``account`` follows ``target`` (accepted)."""

    show_reblogs = models.BooleanField(default=True)
    notify = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target"], name="feed_follow_unique"),
            models.CheckConstraint(
                condition=~Q(account=models.F("target")), name="feed_follow_not_self"
            ),
        ]
        indexes = [models.Index(fields=["target", "account"], name="feed_follow_target")]


class FollowRequest(Relationship):
    """``account`` asked to follow the locked account ``target``."""

    show_reblogs = models.BooleanField(default=True)
    notify = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target"], name="feed_followrequest_unique")
        ]


class Block(Relationship):
    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target"], name="feed_block_unique"),
        ]


class Mute(Relationship):
    hide_notifications = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target"], name="feed_mute_unique"),
        ]


# Account and tag endpoints (issue 12): notes, endorsements, domain blocks, dismissed
# suggestions, followed and featured tags. ---------------------------------------------

ACCOUNT_NOTE_MAX_LENGTH = 2000
FEATURED_TAGS_LIMIT = 10


class AccountNote(Relationship):
    """``account``'s private note on ``target`` (Mastodon's AccountNote, ``Relationship.note``)."""

    comment = models.TextField(max_length=ACCOUNT_NOTE_MAX_LENGTH)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target"], name="feed_accountnote_unique"),
        ]


class AccountPin(Relationship):
    """``account`` endorses ``target`` on its profile (Mastodon's AccountPin, ``endorsed``)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target"], name="feed_accountpin_unique"),
            models.CheckConstraint(
                condition=~Q(account=models.F("target")), name="feed_accountpin_not_self"
            ),
        ]


class SuggestionDismissal(Relationship):
    """``account`` asked not to be suggested ``target`` again (``DELETE /api/v1/suggestions/:id``)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "target"], name="feed_suggestiondismissal_unique"
            ),
        ]


class AccountDomainBlock(models.Model):
    """``account`` blocks a whole domain (Mastodon's AccountDomainBlock).

    Agora is a single instance: its own accounts have no domain, so a block is stored
    and listed as Mastodon does and never matches one of them.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    domain = models.CharField(max_length=253)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "domain"], name="feed_domainblock_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} blocks {self.domain}"


class TagFollow(models.Model):
    """``account`` follows a hashtag: its public statuses reach the account's home."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    tag = models.ForeignKey("feed.Tag", on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "tag"], name="feed_tagfollow_unique"),
        ]
        indexes = [models.Index(fields=["tag", "account"], name="feed_tagfollow_tag")]

    def __str__(self) -> str:
        return f"{self.account_id} follows #{self.tag_id}"


class FeaturedTag(models.Model):
    """A hashtag ``account`` features on its profile (at most ``FEATURED_TAGS_LIMIT``)."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    tag = models.ForeignKey("feed.Tag", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "tag"], name="feed_featuredtag_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} features #{self.tag_id}"
