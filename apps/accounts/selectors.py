"""Reads of accounts, tuned for the API and the admin."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from apps.accounts.models import (
    Announcement,
    AnnouncementDismissal,
    AnnouncementReaction,
    CustomEmoji,
    User,
)
from core import checks
from core.base_url import absolute_url, is_local_domain
from core.ids import parse_id


@dataclass(frozen=True)
class AccountCounts:
    """The numbers a Mastodon Account shows beside the profile."""

    followers_count: int = 0
    following_count: int = 0
    statuses_count: int = 0
    last_status_at: datetime | None = None
    follow_requests_count: int = 0


def account_counts(*, account: User) -> AccountCounts:
    """Followers, following, statuses and pending follow requests of ``account``.

    The first three come from the counters the feed app keeps on the account row
    (no extra query). Follow requests live in the feed app, which has none to
    report yet, so they count zero.
    """
    return AccountCounts(
        followers_count=account.followers_count,
        following_count=account.following_count,
        statuses_count=account.statuses_count,
        last_status_at=account.last_status_at,
    )


def account_list_visible() -> QuerySet[User]:
    """Accounts anybody may look at: the active ones."""
    return User.objects.filter(is_active=True)


def account_get(*, account_id: int | str) -> User:
    """The active account with ``account_id``.

    Raises :class:`~django.http.Http404` for an unknown, malformed or disabled id:
    a disabled account is indistinguishable from one that never existed.
    """
    pk = parse_id(account_id)
    if pk is None:
        raise Http404
    account = account_list_visible().filter(pk=pk).first()
    if account is None:
        raise Http404
    return account


def account_get_by_acct(*, acct: str) -> User:
    """The active account named by ``acct``: ``user``, ``@user`` or ``user@<our domain>``.

    A username on another domain is not ours to answer for (no federation): 404.
    Raises :class:`~django.http.Http404` when no active account matches.
    """
    username, _, domain = acct.strip().lstrip("@").partition("@")
    if domain and not is_local_domain(domain):
        raise Http404
    if not username:
        raise Http404
    account = account_list_visible().filter(username__iexact=username).first()
    if account is None:
        raise Http404
    return account


def display_name_warnings(*, account: User) -> list[str]:
    """What ``core.checks`` warns about ``account``'s display name (it passes for a protected
    account's, say), in words to show the person; empty when nothing does or none is installed.
    """
    if not account.display_name:
        return []
    results = checks.check_name(
        account.display_name, kind=checks.DISPLAY_NAME, account_id=account.pk
    )
    return [result.reason for result in results if result.reason and not result.is_blocking]


def username_is_taken(*, username: str) -> bool:
    """Whether an account (active or not) already uses ``username``, ignoring case."""
    return User.objects.filter(username__iexact=username).exists()


def email_is_taken(*, email: str) -> bool:
    """Whether an account (active or not) already uses ``email``, ignoring case."""
    return User.objects.filter(email__iexact=email).exists()


@dataclass(frozen=True)
class InstanceStats:
    user_count: int
    status_count: int
    active_month: int
    active_halfyear: int


INSTANCE_STATS_CACHE_KEY = "accounts:instance_stats:v2"
INSTANCE_STATS_CACHE_SECONDS = 300


def instance_stats() -> InstanceStats:
    """Accounts, statuses, and accounts active in the last month and half year (NodeInfo's
    ``activeMonth`` and ``activeHalfyear``), recounted at most every five minutes."""
    cached = cache.get(INSTANCE_STATS_CACHE_KEY)
    if cached is not None:
        return InstanceStats(**cached)
    accounts = account_list_visible()
    now = timezone.now()
    counts = accounts.aggregate(
        users=Count("pk"),
        statuses=Sum("statuses_count"),
        month=Count("pk", filter=Q(last_login__gte=now - timedelta(days=30))),
        halfyear=Count("pk", filter=Q(last_login__gte=now - timedelta(days=180))),
    )
    stats = InstanceStats(
        user_count=counts["users"],
        status_count=counts["statuses"] or 0,
        active_month=counts["month"],
        active_halfyear=counts["halfyear"],
    )
    cache.set(INSTANCE_STATS_CACHE_KEY, asdict(stats), INSTANCE_STATS_CACHE_SECONDS)
    return stats


# Custom emojis --------------------------------------------------------------

CUSTOM_EMOJIS_CACHE_KEY = "accounts:custom-emojis:v1"
CUSTOM_EMOJIS_CACHE_SECONDS = 3600
SHORTCODE_IN_TEXT = re.compile(r":([A-Za-z0-9_]{2,}):")


@dataclass(frozen=True)
class EmojiTable:
    """Every enabled custom emoji as Mastodon's CustomEmoji entity, by lower-case shortcode.

    ``digest`` changes whenever any emoji does: rendered entities that show emojis
    put it in their cache key (``apps.feed.entities``), so an emoji that is changed or
    disabled never stays visible in a cached status.
    """

    entities: dict[str, dict[str, object]] = field(default_factory=dict)
    digest: str = ""

    def used_in(self, *texts: str | None) -> list[dict[str, object]]:
        """The emojis whose ``:shortcode:`` appears in ``texts``, once each, in order of use."""
        found: dict[str, dict[str, object]] = {}
        for text in texts:
            for shortcode in SHORTCODE_IN_TEXT.findall(text or ""):
                entity = self.entities.get(shortcode.lower())
                if entity is not None:
                    found.setdefault(shortcode.lower(), entity)
        return list(found.values())


def custom_emoji_entity(emoji: CustomEmoji) -> dict[str, object]:
    url = absolute_url(emoji.image.url)
    return {
        "shortcode": emoji.shortcode,
        "url": url,
        "static_url": url,
        "visible_in_picker": emoji.visible_in_picker,
        "category": emoji.category or None,
    }


def custom_emoji_table() -> EmojiTable:
    """The enabled emojis, from the cache (one read) or the database (one query)."""
    cached = cache.get(CUSTOM_EMOJIS_CACHE_KEY)
    if cached is not None:
        return EmojiTable(**cached)
    entities = {
        emoji.shortcode.lower(): custom_emoji_entity(emoji)
        for emoji in CustomEmoji.objects.filter(disabled=False).order_by("shortcode")
    }
    digest = hashlib.blake2b(
        json.dumps(entities, sort_keys=True).encode(), digest_size=8
    ).hexdigest()
    table = EmojiTable(entities=entities, digest=digest)
    cache.set(CUSTOM_EMOJIS_CACHE_KEY, asdict(table), CUSTOM_EMOJIS_CACHE_SECONDS)
    return table


def has_shortcodes(*texts: str | None) -> bool:
    """Whether any of ``texts`` holds something shaped like ``:shortcode:`` (no query)."""
    return any(SHORTCODE_IN_TEXT.search(text or "") for text in texts)


class LazyEmojiTable:
    """The emoji table, read only when a text that could use an emoji is rendered.

    Most entities have no ``:shortcode:`` at all; they cost no cache read or query.
    """

    def __init__(self) -> None:
        self._table: EmojiTable | None = None

    def load(self) -> EmojiTable:
        if self._table is None:
            self._table = custom_emoji_table()
        return self._table

    @property
    def entities(self) -> dict[str, dict[str, object]]:
        return self.load().entities

    @property
    def digest(self) -> str:
        return self.load().digest

    def used_in(self, *texts: str | None) -> list[dict[str, object]]:
        return self.load().used_in(*texts) if has_shortcodes(*texts) else []


def forget_custom_emojis(**_kwargs: object) -> None:
    """Drop the cached table (connected to CustomEmoji's save and delete signals)."""
    cache.delete(CUSTOM_EMOJIS_CACHE_KEY)


def custom_emoji_list() -> list[dict[str, object]]:
    """``GET /api/v1/custom_emojis``: every enabled emoji, by shortcode."""
    return list(custom_emoji_table().entities.values())


# Announcements ----------------------------------------------------------------


def active_announcements(*, viewer: User, with_dismissed: bool = False) -> QuerySet[Announcement]:
    """Published announcements that have not ended, newest first, with ``read`` for ``viewer``."""
    now = timezone.now()
    dismissed = AnnouncementDismissal.objects.filter(announcement=OuterRef("pk"), account=viewer)
    announcements = (
        Announcement.objects.filter(published=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .annotate(read=Exists(dismissed))
        .order_by("-published_at", "-pk")
    )
    if not with_dismissed:
        announcements = announcements.filter(read=False)
    return announcements


def announcement_for(*, announcement_id: int) -> Announcement:
    """A published announcement (dismissed or not); anything else is not found."""
    return Announcement.objects.filter(published=True).get(pk=announcement_id)


@dataclass(frozen=True)
class ReactionCount:
    name: str
    count: int
    me: bool
    custom_emoji: dict[str, object] | None


def announcement_reactions(
    *, announcement_ids: Iterable[int], viewer: User
) -> dict[int, list[ReactionCount]]:
    """Each announcement's reactions, counted by name, in order of first use (one query)."""
    rows = (
        AnnouncementReaction.objects.filter(announcement_id__in=list(announcement_ids))
        .values("announcement_id", "name")
        .annotate(
            count=Count("pk"),
            me=Count("pk", filter=Q(account=viewer)),
            first=Min("pk"),
        )
        .order_by("announcement_id", "first")
    )
    table = custom_emoji_table()
    reactions: dict[int, list[ReactionCount]] = {}
    for row in rows:
        reactions.setdefault(row["announcement_id"], []).append(
            ReactionCount(
                name=row["name"],
                count=row["count"],
                me=bool(row["me"]),
                custom_emoji=table.entities.get(row["name"].lower()),
            )
        )
    return reactions
