"""Trending hashtags and statuses over a sliding window, and Mastodon's per-day tag history.

Only public, visible (not hidden or removed), original statuses of active,
discoverable accounts count. Tags are ranked by the distinct accounts using them
in the window (``FEED_TRENDS_WINDOW_HOURS``), then by uses; statuses by their
engagement (favourites + reblogs + replies) decayed by age with a half-life of
``FEED_TRENDS_HALF_LIFE_HOURS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.accounts.models import Standing, User
from apps.feed.models import ModerationState, PreviewCard, Status, Tag, Visibility
from apps.feed.selectors.statuses import statuses_in_order

HISTORY_DAYS = 7


@dataclass(frozen=True)
class TagDay:
    """One entry of a Tag's ``history``: a UTC day and its uses and distinct accounts."""

    day: dt.date
    uses: int
    accounts: int

    def as_entity(self) -> dict[str, str]:
        """Mastodon's shape: strings, the day as the UNIX time of its midnight (UTC)."""
        midnight = dt.datetime.combine(self.day, dt.time.min, tzinfo=dt.UTC)
        return {
            "day": str(int(midnight.timestamp())),
            "uses": str(self.uses),
            "accounts": str(self.accounts),
        }


def _trend_status_filter(prefix: str = "") -> Q:
    """The statuses that count towards trends (``prefix`` for a lookup through a relation).

    A limited, suspended or disabled account's statuses never trend: a limited account
    reaches only its followers, and trends are public. Nor do members-only statuses (nor
    their hashtags and links): trends would show them beyond the members.
    """
    restricted = User.objects.with_standing(
        Standing.LIMITED, Standing.SUSPENDED, Standing.DISABLED
    ).values("pk")
    return Q(
        **{
            f"{prefix}visibility": Visibility.PUBLIC,
            f"{prefix}moderation_state": ModerationState.VISIBLE,
            f"{prefix}reblog_of__isnull": True,
            f"{prefix}account__is_active": True,
            f"{prefix}account__discoverable": True,
            f"{prefix}members_only": False,
        }
    ) & ~Q(**{f"{prefix}account_id__in": restricted})


def _window_start(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(hours=settings.FEED_TRENDS_WINDOW_HOURS)


def trending_tags(*, limit: int, offset: int = 0, now: dt.datetime | None = None) -> list[Tag]:
    """Tags used by the most distinct accounts in the window; each has ``accounts`` and ``uses``."""
    now = now or timezone.now()
    Through = Status.tags.through
    rows = list(
        Through.objects.filter(_trend_status_filter("status__"))
        .filter(status__created_at__gte=_window_start(now), status__created_at__lte=now)
        .values("tag_id")
        .annotate(
            accounts=Count("status__account", distinct=True),
            uses=Count("status", distinct=True),
        )
        .order_by("-accounts", "-uses", "tag_id")[offset : offset + limit]
    )
    tags = Tag.objects.in_bulk([row["tag_id"] for row in rows])
    ordered = []
    for row in rows:
        tag = tags[row["tag_id"]]
        # Counts carried as .annotate() would carry them: Tag has no such fields.
        tag.accounts = row["accounts"]  # type: ignore[attr-defined]
        tag.uses = row["uses"]  # type: ignore[attr-defined]
        ordered.append(tag)
    return ordered


def tag_histories(
    *, tags: Iterable[Tag], now: dt.datetime | None = None
) -> dict[int, list[TagDay]]:
    """The last seven UTC days of each tag, newest first, in one query whatever the count."""
    tag_ids = [tag.pk for tag in tags]
    if not tag_ids:
        return {}
    now = now or timezone.now()
    today = now.astimezone(dt.UTC).date()
    days = [today - dt.timedelta(days=n) for n in range(HISTORY_DAYS)]
    since = dt.datetime.combine(days[-1], dt.time.min, tzinfo=dt.UTC)
    Through = Status.tags.through
    rows = (
        Through.objects.filter(_trend_status_filter("status__"))
        .filter(tag_id__in=tag_ids, status__created_at__gte=since, status__created_at__lte=now)
        .annotate(day=TruncDate("status__created_at", tzinfo=dt.UTC))
        # The plugin looks for day among the model's fields, not the annotation above.
        .values("tag_id", "day")  # type: ignore[misc]
        .annotate(
            uses=Count("status", distinct=True),
            accounts=Count("status__account", distinct=True),
        )
        .order_by()
    )
    counts = {(row["tag_id"], row["day"]): (row["uses"], row["accounts"]) for row in rows}
    return {
        tag_id: [TagDay(day, *counts.get((tag_id, day), (0, 0))) for day in days]
        for tag_id in tag_ids
    }


def _decay(age_seconds: float, half_life_hours: float) -> float:
    return 0.5 ** (max(age_seconds, 0.0) / 3600.0 / half_life_hours)


def trending_statuses(
    *, viewer, limit: int, offset: int = 0, now: dt.datetime | None = None
) -> list[Status]:
    """Public statuses of the window with the most decayed engagement that ``viewer`` may see.

    Engagement is favourites + reblogs + replies; a status with none does not trend.
    The ``FEED_TRENDS_MAX_CANDIDATES`` most engaged statuses are scored.
    """
    now = now or timezone.now()
    candidates: QuerySet = (
        Status.objects.visible_to(viewer)
        .filter(_trend_status_filter())
        .filter(created_at__gte=_window_start(now), created_at__lte=now)
        .annotate(engagement=F("favourites_count") + F("reblogs_count") + F("replies_count"))
        .filter(engagement__gt=0)
        .order_by("-engagement", "-id")
        .values_list("id", "created_at", "engagement")[: settings.FEED_TRENDS_MAX_CANDIDATES]
    )
    half_life = settings.FEED_TRENDS_HALF_LIFE_HOURS
    scored = sorted(
        (
            (engagement * _decay((now - created_at).total_seconds(), half_life), status_id)
            for status_id, created_at, engagement in candidates
        ),
        reverse=True,
    )
    page = [status_id for _, status_id in scored[offset : offset + limit]]
    return statuses_in_order(page)


def trending_links(
    *, limit: int, offset: int = 0, now: dt.datetime | None = None
) -> list[PreviewCard]:
    """Links (preview cards) shared by the most distinct accounts in the window, as
    Mastodon's Trends::Links; each card has ``accounts`` and ``uses``. Sensitive
    statuses do not count, as Mastodon keeps them out of trends."""
    now = now or timezone.now()
    rows = list(
        Status.objects.filter(_trend_status_filter(), sensitive=False)
        .filter(preview_card__isnull=False, created_at__gte=_window_start(now), created_at__lte=now)
        .values("preview_card_id")
        .annotate(accounts=Count("account", distinct=True), uses=Count("pk"))
        .order_by("-accounts", "-uses", "-preview_card_id")[offset : offset + limit]
    )
    cards = PreviewCard.objects.in_bulk([row["preview_card_id"] for row in rows])
    ordered = []
    for row in rows:
        card = cards[row["preview_card_id"]]
        card.accounts = row["accounts"]  # type: ignore[attr-defined]
        card.uses = row["uses"]  # type: ignore[attr-defined]
        ordered.append(card)
    return ordered


def link_histories(
    *, cards: Iterable[PreviewCard], now: dt.datetime | None = None
) -> dict[int, list[TagDay]]:
    """The last seven UTC days of each link, newest first, in one query whatever the count."""
    card_ids = [card.pk for card in cards]
    if not card_ids:
        return {}
    now = now or timezone.now()
    today = now.astimezone(dt.UTC).date()
    days = [today - dt.timedelta(days=n) for n in range(HISTORY_DAYS)]
    since = dt.datetime.combine(days[-1], dt.time.min, tzinfo=dt.UTC)
    rows = (
        Status.objects.filter(_trend_status_filter(), sensitive=False)
        .filter(preview_card_id__in=card_ids, created_at__gte=since, created_at__lte=now)
        .annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
        .values("preview_card_id", "day")
        .annotate(uses=Count("pk"), accounts=Count("account", distinct=True))
        .order_by()
    )
    counts = {(row["preview_card_id"], row["day"]): (row["uses"], row["accounts"]) for row in rows}
    return {
        card_id: [TagDay(day, *counts.get((card_id, day), (0, 0))) for day in days]
        for card_id in card_ids
    }


def is_trending_link(url: str, *, now: dt.datetime | None = None) -> PreviewCard | None:
    """The card of ``url`` if it trends now (``/api/v1/timelines/link`` serves only those)."""
    card = PreviewCard.objects.filter(url=url).first()
    if card is None:
        return None
    trending = trending_links(limit=settings.FEED_TRENDING_LINKS_MAX, now=now)
    return card if any(candidate.pk == card.pk for candidate in trending) else None
