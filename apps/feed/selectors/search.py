"""Search over accounts, hashtags and statuses (``GET /api/v2/search``).

Statuses are searched with PostgreSQL's full-text search on PostgreSQL (served by
the GIN index of migration 0002, built on the same expression as
:data:`STATUS_SEARCH_VECTOR`), and with case-insensitive substring matching of
every word elsewhere (SQLite). Statuses are only ever drawn from
``Status.objects.visible_to(viewer)``, so a private status never reaches a
non-follower, and never from accounts the viewer blocks, is blocked by or mutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from apps.accounts.models import User
from apps.feed.models import Block, Follow, Mute, Status, Tag
from apps.feed.selectors.statuses import statuses_in_order
from core.base_url import is_local_domain

SEARCH_TYPES = ("accounts", "hashtags", "statuses")
# The text search configuration of the index: "simple" (no stemming), since statuses
# come in every language. Changing it needs a new index migration.
SEARCH_CONFIG = "simple"
STATUS_SEARCH_VECTOR = SearchVector("text", "spoiler_text", config=SEARCH_CONFIG)
MAX_QUERY_LENGTH = 500
_WORD = re.compile(r"\S+")
_STATUS_PATH = re.compile(r"^/(?:@(?P<user>\w+)|users/(?P<owner>\w+)/statuses)/(?P<id>\d+)/?$")
_ACCOUNT_PATH = re.compile(r"^/(?:@|users/)(?P<user>\w+)/?$")


@dataclass
class SearchResults:
    """Mastodon's Search entity, before serialization."""

    accounts: list = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    hashtags: list[Tag] = field(default_factory=list)


def _signed_in(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated


def _local_url_target(query: str) -> tuple[str, str] | None:
    """``("status", id)`` or ``("account", username)`` for a URL of this instance."""
    parts = urlsplit(query)
    if parts.scheme not in ("http", "https") or not is_local_domain(parts.netloc):
        return None
    status_match = _STATUS_PATH.match(parts.path)
    if status_match:
        return "status", status_match["id"]
    account_match = _ACCOUNT_PATH.match(parts.path)
    if account_match:
        return "account", account_match["user"]
    return None


def _account_query(query: str) -> str:
    """``@alice``, ``alice@this.domain`` -> ``alice``; other accounts' domains stay (no match)."""
    name = query.strip().lstrip("@")
    local, _, domain = name.partition("@")
    if domain and is_local_domain(domain):
        return local
    return name


def search_accounts(
    *, viewer, query: str, following: bool = False, limit: int, offset: int = 0
) -> list:
    """Active accounts whose username or display name starts with ``query``.

    Exact username matches first, then the most followed. Accounts that block the
    viewer or that the viewer blocks are left out; ``following`` keeps only those
    the viewer follows.
    """
    name = _account_query(query)
    if not name:
        return []
    queryset = User.objects.able_to_act().filter(
        Q(username__istartswith=name) | Q(display_name__istartswith=name)
    )
    if _signed_in(viewer):
        blocked = Block.objects.filter(
            Q(account=viewer, target=OuterRef("pk")) | Q(account=OuterRef("pk"), target=viewer)
        )
        queryset = queryset.exclude(Exists(blocked))
        if following:
            queryset = queryset.filter(
                Exists(Follow.objects.filter(account=viewer, target=OuterRef("pk")))
            )
    elif following:
        return []
    exact = Case(
        When(username__iexact=name, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    queryset = queryset.annotate(exact=exact).order_by("exact", "-followers_count", "username")
    return list(queryset[offset : offset + limit])


def _is_exact_acct(query: str, *, resolve: bool) -> bool:
    """Whether ``query`` names one account as Mastodon's exact match takes it.

    With ``resolve`` any name does (toot resolves ``alice`` and ``@alice`` so);
    without it only a mention form does: ``@alice``, ``alice@domain``.
    """
    return resolve or "@" in query.strip()


def account_exact_match(*, viewer, query: str) -> User | None:
    """The account whose acct is exactly ``query``, even when ``viewer`` blocks it.

    Mastodon's search resolves an exact acct whatever the viewer blocks, so that
    a client can unblock (or follow) by name. An account that blocks the viewer
    stays hidden, and so does a suspended or disabled one, as in every search.
    ``None`` when no such account has that name.
    """
    name = _account_query(query)
    if not name or "@" in name or not _signed_in(viewer):
        return None
    blocking_viewer = Block.objects.filter(account=OuterRef("pk"), target=viewer)
    return (
        User.objects.able_to_act()
        .filter(username__iexact=name)
        .exclude(Exists(blocking_viewer))
        .first()
    )


def _with_exact_match(accounts: list, *, viewer, query: str, limit: int) -> list:
    exact = account_exact_match(viewer=viewer, query=query)
    if exact is None:
        return accounts
    return [exact, *(account for account in accounts if account.pk != exact.pk)][:limit]


def search_hashtags(*, query: str, limit: int, offset: int = 0) -> list[Tag]:
    """Tags whose name starts with ``query`` (a leading ``#`` is ignored), exact match first."""
    name = query.strip().lstrip("#")
    if not name or not re.fullmatch(r"\w+", name):
        return []
    exact = Case(
        When(name__iexact=name, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    queryset = (
        Tag.objects.filter(name__istartswith=name)
        .annotate(exact=exact)
        .order_by("exact", "name", "pk")
    )
    return list(queryset[offset : offset + limit])


def searchable_statuses(*, viewer, account_id: int | None = None) -> QuerySet:
    """What a search may return to ``viewer``: visible, not reblogs, not of muted accounts."""
    queryset = Status.objects.visible_to(viewer).filter(reblog_of__isnull=True)
    muted = Mute.objects.filter(account=viewer, target=OuterRef("account")).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    queryset = queryset.exclude(Exists(muted))
    # Others' direct messages are found only by those they were sent to (visible_to).
    if account_id is not None:
        queryset = queryset.filter(account_id=account_id)
    return queryset


def search_statuses(
    *, viewer, query: str, account_id: int | None = None, limit: int, offset: int = 0
) -> list[Status]:
    """Statuses ``viewer`` may see that match every word of ``query``, best match first.

    Only for a signed-in viewer (Mastodon answers an anonymous search with no
    statuses). PostgreSQL: websearch syntax (quoted phrases, ``-word``, ``or``),
    ranked by ``ts_rank`` then newest. Elsewhere: every word as a substring, newest first.
    """
    if not _signed_in(viewer):
        return []
    query = query.strip()
    if not query:
        return []
    queryset = searchable_statuses(viewer=viewer, account_id=account_id)
    if connection.vendor == "postgresql":
        search_query = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
        queryset = (
            queryset.annotate(document=STATUS_SEARCH_VECTOR)
            .filter(document=search_query)
            .annotate(rank=SearchRank(STATUS_SEARCH_VECTOR, search_query))
            .order_by("-rank", "-id")
        )
    else:
        for word in _WORD.findall(query):
            queryset = queryset.filter(Q(text__icontains=word) | Q(spoiler_text__icontains=word))
        queryset = queryset.order_by("-id")
    ids = list(queryset.values_list("id", flat=True)[offset : offset + limit])
    return statuses_in_order(ids)


def _resolve_local_url(*, viewer, query: str) -> SearchResults | None:
    target = _local_url_target(query)
    if target is None:
        return None
    kind, key = target
    results = SearchResults()
    if kind == "status":
        if _signed_in(viewer):
            found = searchable_statuses(viewer=viewer).filter(pk=int(key))
            results.statuses = statuses_in_order(list(found.values_list("id", flat=True)))
    else:
        exact = account_exact_match(viewer=viewer, query=key)
        if exact is None:
            accounts = search_accounts(viewer=viewer, query=key, limit=1)
            results.accounts = [a for a in accounts if a.username.lower() == key.lower()]
        else:
            results.accounts = [exact]
    return results


def search(
    *,
    viewer,
    query: str,
    search_type: str | None = None,
    following: bool = False,
    account_id: int | None = None,
    limit: int,
    offset: int = 0,
    resolve: bool = False,
) -> SearchResults:
    """Accounts, hashtags and statuses matching ``query`` (one kind when ``search_type``).

    A URL of this instance resolves to the status or account it names (if visible).
    Statuses are for signed-in viewers only. ``account_id`` narrows statuses to one
    author; ``following`` narrows accounts to those the viewer follows. On the
    first page, an exact acct (any name with ``resolve``) comes first even when the
    viewer blocks it (:func:`account_exact_match`).
    """
    query = query[:MAX_QUERY_LENGTH]
    resolved = _resolve_local_url(viewer=viewer, query=query.strip())
    if resolved is not None:
        return resolved
    results = SearchResults()
    if search_type in (None, "accounts"):
        results.accounts = search_accounts(
            viewer=viewer, query=query, following=following, limit=limit, offset=offset
        )
        if offset == 0 and not following and _is_exact_acct(query, resolve=resolve):
            results.accounts = _with_exact_match(
                results.accounts, viewer=viewer, query=query, limit=limit
            )
    if search_type in (None, "hashtags"):
        results.hashtags = search_hashtags(query=query, limit=limit, offset=offset)
    if search_type in (None, "statuses"):
        results.statuses = search_statuses(
            viewer=viewer, query=query, account_id=account_id, limit=limit, offset=offset
        )
    return results
