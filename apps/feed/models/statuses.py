"""Statuses and what is status-centric: edits, tags, interactions, polls, quotes, cards, markers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import (
    BARRING_STANDINGS,
    QuoteApprovalPolicy,
    Standing,
    User,
    Visibility,
)
from apps.feed.models.compiled import CompiledCondition, Holds
from apps.feed.models.relationships import Block, Follow
from core import memberships
from core.models import PublicModel


class ModerationState(models.TextChoices):
    VISIBLE = "visible", _("visible")
    HIDDEN = "hidden", _("hidden (author only)")
    REMOVED = "removed", _("removed")


def visible_status(viewer, key, *, creators: Iterable[int] | None = None) -> Holds:
    """The condition that the status whose id is ``key`` is one ``viewer`` may see, by the
    rules of :meth:`StatusQuerySet.visible_to` (which is this with ``F("pk")``).

    ``key`` is an expression of the query it filters: ``F("status_id")`` applies the rules
    to the status a row points to, without a subquery of statuses around them (Django
    relabels every alias of such a subquery on each request). ``creators`` as for
    ``visible_to``.
    """
    # The rules' SQL is compiled once per shape and reused with the viewer's values
    # bound (apps.feed.models.compiled): building and compiling them cost more CPU
    # than the database spends answering.
    return viewer_holds(VISIBILITY, key, viewer, creators=creators)


def viewer_holds(
    condition: CompiledCondition, key, viewer, *, creators: Iterable[int] | None = None
) -> Holds:
    """``condition`` (built on the visibility rules) holding for the row whose key is
    ``key``, bound to ``viewer`` (a user, or anonymous), the creators they pay (read here
    when not given, as for ``visible_to``) and the clock."""
    if viewer is None or not viewer.is_authenticated:
        viewer_id, member_of = None, []
    else:
        viewer_id = viewer.pk
        member_of = sorted(memberships.creators_of(viewer) if creators is None else creators)
    return Holds(condition, key, viewer_id=viewer_id, creators=member_of, now=timezone.now())


class StatusQuerySet(models.QuerySet):
    def live(self) -> StatusQuerySet:
        """Not removed by moderation and not scheduled for later."""
        return self.exclude(moderation_state=ModerationState.REMOVED)

    def visible_to(self, viewer, *, creators: Iterable[int] | None = None) -> StatusQuerySet:
        """What ``viewer`` (a user, or anonymous) may see.

        Public and unlisted statuses for everyone; private ones for the author's
        accepted followers and those mentioned; direct ones for those mentioned;
        everything of one's own. Hidden statuses only for their author. Statuses of
        accounts that block the viewer, that the viewer blocks, or of disabled
        accounts, are never visible. Reblogs follow the visibility of what they reblog.
        The account's standing in force (``User.objects.with_standing``): a limited
        one's statuses only for itself and its followers, a suspended or disabled
        one's for no one.

        A members-only status (``members_only``) is, on top of all that, only for its author
        and the paying members of the author's tiers: ``creators`` are the ids of the creators
        the viewer is a member of (``core.memberships.creators_of``, read here when not given;
        a caller making several queries for one request reads it once and passes it). No one
        anonymous is a member. The same goes for the original of a reblog.
        """
        return self.filter(visible_status(viewer, F("pk"), creators=creators))

    def without_limited_accounts(self, *, now: dt.datetime | None = None) -> StatusQuerySet:
        """Leave out the statuses of accounts limited now (or at ``now``), whoever looks
        (public, hashtag and link timelines)."""
        limited = User.objects.with_standing(Standing.LIMITED, now=now).values("pk")
        return self.exclude(account__in=limited)


class Status(PublicModel):
    """A post, a reply, or (with ``reblog_of``) a reblog of another status."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="statuses"
    )
    text = models.TextField(blank=True, help_text=_("The source text as the author wrote it."))
    content = models.TextField(blank=True, help_text=_("Sanitised HTML rendered from the text."))
    spoiler_text = models.CharField(max_length=500, blank=True)
    sensitive = models.BooleanField(default=False)
    language = models.CharField(max_length=16, blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC, db_index=True
    )
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    in_reply_to_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reblog_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="reblogs"
    )
    application_name = models.CharField(max_length=255, blank=True)
    moderation_state = models.CharField(
        max_length=10,
        choices=ModerationState.choices,
        default=ModerationState.VISIBLE,
        db_index=True,
    )
    moderation_reason = models.CharField(max_length=500, blank=True)
    pinned_at = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    favourites_count = models.PositiveIntegerField(default=0)
    reblogs_count = models.PositiveIntegerField(default=0)
    replies_count = models.PositiveIntegerField(default=0)
    tags = models.ManyToManyField("feed.Tag", blank=True, related_name="statuses")
    preview_card = models.ForeignKey(
        "feed.PreviewCard",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="statuses",
        help_text=_("The preview of the status's first link, fetched by the worker."),
    )
    # The thread it belongs to (Mastodon's ``conversation_id``): a reply inherits its
    # parent's; given lazily (apps.feed.services.conversations) to threads that need one.
    conversation = models.ForeignKey(
        "feed.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Mastodon 4.5's ``quote_approval_policy``: the automatic policy's flags (QuotePolicy)
    # shifted left by 16, the manual policy's in the low 16 bits; 0 lets only the author quote.
    quote_approval_policy = models.PositiveIntegerField(default=0)
    # Mastodon 4.5's ``quotes_count``: the accepted quotes of this status.
    quotes_count = models.PositiveIntegerField(default=0)
    # Agora's subscriber-only posts: only the author and paying members of the author's tiers
    # (``core.memberships``) see it, on top of ``visibility`` (``StatusQuerySet.visible_to``).
    members_only = models.BooleanField(
        default=False,
        help_text=_("Only the author's paying members (of any tier) may see it."),
    )
    # Agora's extensions that apps above the feed attach (the feed never reads them): a JSON
    # object of name -> JSON value, rendered as it is under the entity's ``agora`` beside
    # ``members_only`` (e.g. live's ``{"live": {"stream_id": "9", "state": "ended"}}``).
    # Set through ``services.status_extension_set``; part of the row, so of the entity's key.
    extensions = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Extensions set by other apps, shown under the status's agora attribute."),
    )

    objects = StatusQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "statuses"
        indexes = [
            models.Index(fields=["account", "-id"], name="feed_status_account_id"),
            models.Index(fields=["visibility", "-id"], name="feed_status_visibility_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reblog_of"],
                condition=Q(reblog_of__isnull=False),
                name="feed_status_one_reblog_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.pk}"

    @property
    def is_reblog(self) -> bool:
        return self.reblog_of_id is not None


class StatusEdit(models.Model):
    """A previous revision of a status (``/history``)."""

    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="edits")
    text = models.TextField(blank=True)
    content = models.TextField(blank=True)
    spoiler_text = models.CharField(max_length=500, blank=True)
    sensitive = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # The poll's option titles in this revision (Mastodon's ``poll_options``), if it had one.
    poll_options = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"edit of {self.status_id} at {self.created_at:%Y-%m-%d %H:%M}"


class Tag(models.Model):
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("name"), name="feed_tag_name_ci_unique")]

    def __str__(self) -> str:
        return f"#{self.name}"


class Mention(models.Model):
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="mentions")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["status", "account"], name="feed_mention_unique")
        ]

    def __str__(self) -> str:
        return f"{self.status_id} mentions {self.account_id}"


class Favourite(models.Model):
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "status"], name="feed_favourite_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} favourited {self.status_id}"


class Bookmark(models.Model):
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "status"], name="feed_bookmark_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} bookmarked {self.status_id}"


class RankingModel(models.Model):
    """One trained version of the ranked home timeline's learned score (a logistic regression).

    The periodic ``ranking_train_task`` adds a row per training run; the newest row
    is the one the ranked timeline uses. ``weights`` maps each feature name
    (``recency``, ``engagement``, ``affinity``) and ``bias`` to its coefficient.
    """

    version = models.PositiveIntegerField(unique=True)
    weights = models.JSONField(default=dict)
    sample_count = models.PositiveIntegerField(default=0)
    positive_count = models.PositiveIntegerField(default=0)
    log_loss = models.FloatField(null=True, blank=True)
    trained_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"ranking model v{self.version} ({self.trained_at:%Y-%m-%d %H:%M})"


class ScheduledStatus(PublicModel):
    """A status to publish at ``scheduled_at`` (Mastodon's ScheduledStatus).

    ``params`` holds what ``POST /api/v1/statuses`` received, in the entity's shape;
    ``scheduled_statuses_publish_due`` (:mod:`apps.feed.services.scheduling`) publishes the
    row through ``services.status_create`` and deletes it in one transaction.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scheduled_statuses"
    )
    scheduled_at = models.DateTimeField(db_index=True)
    params = models.JSONField(default=dict)
    # Held while the account's shield is up (protection's ``ShieldChanged``): not
    # published, never dropped; released when the shield goes down, then published
    # at once if its time has passed.
    held = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "scheduled statuses"
        indexes = [
            models.Index(fields=["account", "-id"], name="feed_scheduled_account_id"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} at {self.scheduled_at:%Y-%m-%d %H:%M}"


class Marker(models.Model):
    """Where an account stopped reading a timeline (Mastodon's markers), shared by its apps.

    ``version`` counts the updates, as Mastodon's ``lock_version`` does (0 when created).
    """

    class Timeline(models.TextChoices):
        HOME = "home", _("home")
        NOTIFICATIONS = "notifications", _("notifications")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    timeline = models.CharField(max_length=16, choices=Timeline.choices)
    last_read_id = models.BigIntegerField()
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "timeline"], name="feed_marker_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} read {self.timeline} to {self.last_read_id}"


class PreviewCard(models.Model):
    """A link's preview, as Mastodon's PreviewCard: fetched once per URL, shared by statuses.

    The worker fetches the page a status links to first (:mod:`apps.feed.services.cards`),
    reads its OpenGraph, Twitter and HTML metadata, and keeps a resized local copy of its
    image, so viewers never load anything from the linked site.
    """

    class Type(models.TextChoices):
        LINK = "link", _("link")
        PHOTO = "photo", _("photo")
        VIDEO = "video", _("video")
        RICH = "rich", _("rich")

    url = models.URLField(max_length=2048, unique=True)
    title = models.CharField(max_length=400, blank=True)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=8, choices=Type.choices, default=Type.LINK)
    author_name = models.CharField(max_length=200, blank=True)
    author_url = models.URLField(max_length=2048, blank=True)
    provider_name = models.CharField(max_length=200, blank=True)
    provider_url = models.URLField(max_length=2048, blank=True)
    image = models.ImageField(upload_to="cards/", blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    blurhash = models.CharField(max_length=100, blank=True)
    image_description = models.CharField(max_length=1500, blank=True)
    embed_url = models.URLField(max_length=2048, blank=True)
    language = models.CharField(max_length=16, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("preview card")

    def __str__(self) -> str:
        return self.title or self.url


class Poll(PublicModel):
    """A status's poll (Mastodon's Poll): its options, limits and running tallies.

    ``cached_tallies[i]`` counts the votes for ``options[i]``; the tallies,
    ``votes_count`` and ``voters_count`` change only under a lock on this row
    (:func:`apps.feed.services.polls.poll_vote`). ``ended_notified_at`` marks that
    the end of the poll was notified, so the expiry task and the sweep notify once.
    """

    status = models.OneToOneField(Status, on_delete=models.CASCADE, related_name="poll")
    options = models.JSONField(default=list)
    cached_tallies = models.JSONField(default=list)
    expires_at = models.DateTimeField(db_index=True)
    multiple = models.BooleanField(default=False)
    hide_totals = models.BooleanField(default=False)
    votes_count = models.PositiveIntegerField(default=0)
    voters_count = models.PositiveIntegerField(default=0)
    ended_notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"poll {self.pk} of {self.status_id}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class PollVote(models.Model):
    """One choice of one account in a poll (several for a multiple-choice poll)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    choice = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "account", "choice"], name="feed_pollvote_unique"
            )
        ]
        indexes = [models.Index(fields=["account", "poll"], name="feed_pollvote_account")]

    def __str__(self) -> str:
        return f"{self.account_id} voted {self.choice} in {self.poll_id}"


class QuotePolicy:
    """The flags of a status's quote approval policy (Mastodon 4.5's QUOTE_APPROVAL_POLICY_FLAGS).

    ``automatic`` flags sit in the high 16 bits of ``Status.quote_approval_policy``,
    ``manual`` ones in the low 16 (Agora approves or refuses at once: it sets automatic
    flags only). The API's three choices are ``public``, ``followers`` and ``nobody``.
    """

    UNSUPPORTED = 1 << 0
    PUBLIC = 1 << 1
    FOLLOWERS = 1 << 2
    FOLLOWING = 1 << 3
    NAMES = {"unsupported_policy": UNSUPPORTED, "public": PUBLIC, "followers": FOLLOWERS,
             "following": FOLLOWING}  # fmt: skip
    CHOICES = tuple(QuoteApprovalPolicy.values)

    @classmethod
    def from_choice(cls, choice: str) -> int:
        """The stored policy of an API choice (``public``, ``followers``, ``nobody``)."""
        return {"public": cls.PUBLIC << 16, "followers": cls.FOLLOWERS << 16}.get(choice, 0)

    @classmethod
    def keys(cls, policy: int, *, automatic: bool) -> list[str]:
        """The names of the flags set in the automatic (or manual) half of ``policy``."""
        half = policy >> 16 if automatic else policy & 0xFFFF
        return [name for name, flag in cls.NAMES.items() if half & flag]


class Quote(PublicModel):
    """A status quoting another (Mastodon 4.5's Quote), one per quoting status.

    ``state`` is stored as Mastodon stores it; ``deleted`` also follows from a
    ``quoted_status`` gone (set to null when it is deleted), and ``unauthorized`` is
    never stored: it is what a viewer who may not see the quoted status is shown.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REJECTED = "rejected"
        REVOKED = "revoked"
        DELETED = "deleted"

    status = models.OneToOneField(Status, on_delete=models.CASCADE, related_name="quote")
    quoted_status = models.ForeignKey(
        Status, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    quoted_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)

    class Meta:
        indexes = [
            models.Index(fields=["quoted_status", "state", "-id"], name="feed_quote_quoted"),
        ]

    def __str__(self) -> str:
        return f"{self.status_id} quotes {self.quoted_status_id} ({self.state})"


def _visibility_rules(
    viewer_id: int | None, member_of: Sequence[int], now: dt.datetime
) -> StatusQuerySet:
    """The statuses the account ``viewer_id`` (None: anyone) may see, as the ORM
    builds them: :meth:`StatusQuerySet.visible_to`'s rules, compiled once per shape
    (:data:`VISIBILITY`). ``member_of``: the creators the viewer is a paying member of;
    ``now``: the moment accounts' standings are judged at."""
    # Every rule is one condition of a single filter() (the same SQL as a chain of
    # filters, as every relation here is single-valued): each chained call copies the
    # query built so far, and this one is long.
    hiding = User.objects.with_standing(*BARRING_STANDINGS, now=now).values("pk")
    limited = User.objects.with_standing(Standing.LIMITED, now=now).values("pk")
    statuses = Status.objects.all()
    shown_anywhere = [
        ~Q(moderation_state=ModerationState.REMOVED),  # live()
        Q(account__is_active=True),
        ~Q(account__in=hiding),
        Q(reblog_of__isnull=True) | ~Q(reblog_of__account__in=hiding),
    ]
    if viewer_id is None:
        return statuses.filter(
            *shown_anywhere,
            Q(
                visibility__in=(Visibility.PUBLIC, Visibility.UNLISTED),
                moderation_state=ModerationState.VISIBLE,
                members_only=False,
            ),
            Q(reblog_of__isnull=True) | Q(reblog_of__moderation_state=ModerationState.VISIBLE),
            ~Q(account__in=limited),
            Q(reblog_of__isnull=True) | ~Q(reblog_of__account__in=limited),
            Q(reblog_of__isnull=True) | Q(reblog_of__members_only=False),
        )
    follows_author = Follow.objects.filter(account=viewer_id, target=OuterRef("account"))
    mentioned = Mention.objects.filter(status=OuterRef("pk"), account=viewer_id)
    blocked = Block.objects.filter(
        Q(account=viewer_id, target=OuterRef("account"))
        | Q(account=OuterRef("account"), target=viewer_id)
    )
    own = Q(account=viewer_id)
    others = Q(moderation_state=ModerationState.VISIBLE) & (
        Q(visibility__in=(Visibility.PUBLIC, Visibility.UNLISTED))
        | Q(visibility=Visibility.PRIVATE) & (Exists(follows_author) | Exists(mentioned))
        | Q(visibility=Visibility.DIRECT) & Exists(mentioned)
    )
    blocked_original = Block.objects.filter(
        Q(account=viewer_id, target=OuterRef("reblog_of__account"))
        | Q(account=OuterRef("reblog_of__account"), target=viewer_id)
    )
    original_shown = (
        Q(reblog_of__isnull=True)
        | Q(reblog_of__moderation_state=ModerationState.VISIBLE)
        | Q(reblog_of__account=viewer_id, reblog_of__moderation_state=ModerationState.HIDDEN)
    )
    follows_original_author = Follow.objects.filter(
        account=viewer_id, target=OuterRef("reblog_of__account")
    )
    reaches_viewer = ~Q(account__in=limited) | own | Exists(follows_author)
    original_reaches_viewer = (
        Q(reblog_of__isnull=True)
        | ~Q(reblog_of__account__in=limited)
        | Q(reblog_of__account=viewer_id)
        | Exists(follows_original_author)
    )
    for_members = Q(members_only=False) | own | Q(account_id__in=member_of)
    original_for_members = (
        Q(reblog_of__isnull=True)
        | Q(reblog_of__members_only=False)
        | Q(reblog_of__account=viewer_id)
        | Q(reblog_of__account_id__in=member_of)
    )
    return statuses.filter(
        *shown_anywhere,
        own | others,
        for_members,
        original_for_members,
        original_shown,
        reaches_viewer,
        original_reaches_viewer,
        ~Exists(blocked),
        ~Exists(blocked_original),
    )


VISIBILITY = CompiledCondition(_visibility_rules, path=f"{__name__}.VISIBILITY")
