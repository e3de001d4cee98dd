"""Reads of accounts, tuned for the API and the admin."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from apps.accounts.models import User
from core.base_url import is_local_domain
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
