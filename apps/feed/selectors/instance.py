"""The instance's weekly activity, as ``GET /api/v1/instance/activity`` reports it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from apps.feed.models import Status

ACTIVITY_WEEKS = 12
ACTIVITY_CACHE_KEY = "feed:instance-activity:v1"
ACTIVITY_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class Week:
    """One week (from Monday 00:00 UTC): statuses posted, accounts signed in, sign-ups."""

    week: int
    statuses: int
    logins: int
    registrations: int


def _week_start(moment: datetime) -> datetime:
    start = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start - timedelta(days=start.weekday())


def _by_week(queryset, column: str, *, distinct: str | None = None) -> dict[datetime, int]:
    counted = Count(distinct, distinct=True) if distinct else Count("pk")
    rows = (
        queryset.annotate(week=TruncWeek(column, tzinfo=UTC))
        .values("week")
        .annotate(n=counted)
        .order_by()
    )
    return {_week_start(row["week"]): row["n"] for row in rows}


def instance_activity(*, now: datetime | None = None) -> list[Week]:
    """The last 12 weeks, this one first, recounted at most hourly (three queries).

    ``logins`` counts the accounts that signed in during the week (an access token was
    issued to them), as Mastodon counts distinct sign-ins; ``statuses`` counts
    original posts and replies, not reblogs, as Mastodon does.
    """
    cached = cache.get(ACTIVITY_CACHE_KEY)
    if cached is not None and now is None:
        return [Week(**week) for week in cached]
    current = _week_start(now or timezone.now())
    first = current - timedelta(weeks=ACTIVITY_WEEKS - 1)
    statuses = _by_week(
        Status.objects.filter(created_at__gte=first, reblog_of__isnull=True), "created_at"
    )
    logins = _by_week(
        get_access_token_model().objects.filter(created__gte=first, user__isnull=False),
        "created",
        distinct="user",
    )
    registrations = _by_week(get_user_model().objects.filter(date_joined__gte=first), "date_joined")
    weeks = []
    for back in range(ACTIVITY_WEEKS):
        start = current - timedelta(weeks=back)
        weeks.append(
            Week(
                week=int(start.timestamp()),
                statuses=statuses.get(start, 0),
                logins=logins.get(start, 0),
                registrations=registrations.get(start, 0),
            )
        )
    if now is None:
        cache.set(ACTIVITY_CACHE_KEY, [asdict(week) for week in weeks], ACTIVITY_CACHE_SECONDS)
    return weeks
