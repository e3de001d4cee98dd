"""Reads of filters: an owner's filters, and applying a viewer's active filters to statuses.

Applying follows Mastodon (``CustomFilter.apply_cached_filters``): each active filter
of the viewer (of any context) matches a status by a keyword found in the text of the
status it shows (a reblog's original) or by naming the status or its original; the
matches become the status's ``filtered`` results, whatever the context, and clients
decide by each filter's ``context`` what to do with them. A ``hide`` filter whose
context is the one being read removes the status from the answer altogether.

:func:`filters_apply` is the one function timelines, threads, notifications and
streams call: it reads the viewer's active filters once (:func:`active_filters`, one
query) and matches in memory, so a page costs the same whatever its length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed.models import Filter, FilterKeyword, FilterStatus, Status
from apps.feed.selectors.polls import poll_of, prefetch_polls
from apps.feed.selectors.statuses import prefetch_media, status_media
from core import errors
from core.ids import parse_id

# Which filter context each read applies (None: the status is shown wherever it is asked for).
HOME = Filter.Context.HOME.value
NOTIFICATIONS = Filter.Context.NOTIFICATIONS.value
PUBLIC = Filter.Context.PUBLIC.value
THREAD = Filter.Context.THREAD.value
ACCOUNT = Filter.Context.ACCOUNT.value


# An owner's filters ------------------------------------------------------------


def filters_for_owner(*, owner) -> QuerySet[Filter]:
    """The owner's filters, oldest first, with their keywords and statuses (three queries)."""
    return (
        Filter.objects.filter(account=owner).order_by("id").prefetch_related("keywords", "statuses")
    )


def filter_get_for_owner(*, owner, filter_id) -> Filter:
    """The owner's filter ``filter_id``; NotFound for anyone else's or none."""
    found = filters_for_owner(owner=owner).filter(pk=parse_id(filter_id) or 0).first()
    if found is None:
        raise errors.NotFound(_("Record not found"))
    return found


def filter_keyword_get_for_owner(*, owner, keyword_id) -> FilterKeyword:
    """The owner's keyword ``keyword_id`` with its filter; NotFound for anyone else's."""
    found = (
        FilterKeyword.objects.filter(filter__account=owner, pk=parse_id(keyword_id) or 0)
        .select_related("filter")
        .first()
    )
    if found is None:
        raise errors.NotFound(_("Record not found"))
    return found


def filter_keywords_for_owner(*, owner) -> QuerySet[FilterKeyword]:
    """Every keyword of the owner's filters, oldest first: ``/api/v1/filters``."""
    return (
        FilterKeyword.objects.filter(filter__account=owner).select_related("filter").order_by("id")
    )


def filter_status_get_for_owner(*, owner, filter_status_id) -> FilterStatus:
    """The owner's status filter ``filter_status_id``; NotFound for anyone else's."""
    found = (
        FilterStatus.objects.filter(filter__account=owner, pk=parse_id(filter_status_id) or 0)
        .select_related("filter")
        .first()
    )
    if found is None:
        raise errors.NotFound(_("Record not found"))
    return found


# Applying a viewer's filters ----------------------------------------------------


def keyword_pattern(keyword: str, *, whole_word: bool) -> str:
    """The regular expression of one keyword, as Mastodon builds it.

    With ``whole_word``, a word boundary is required on each side that begins or ends
    with a word character (Unicode words: ``\\b`` of Python's ``re`` on text).
    """
    pattern = re.escape(keyword)
    if not whole_word:
        return pattern
    start = r"\b" if re.match(r"\w", keyword) else ""
    end = r"\b" if re.search(r"\w\Z", keyword) else ""
    return f"{start}{pattern}{end}"


@dataclass(frozen=True)
class FilterResult:
    """One filter that matched a status (Mastodon's FilterResult)."""

    filter: Filter
    keyword_matches: list[str] | None
    status_matches: list[str] | None


@dataclass
class CompiledFilter:
    filter: Filter
    keywords: list[tuple[str, bool]] = field(default_factory=list)
    status_ids: set[int] = field(default_factory=set)
    regex: re.Pattern[str] | None = None

    def compile(self) -> None:
        if self.keywords:
            self.regex = re.compile(
                "|".join(keyword_pattern(word, whole_word=whole) for word, whole in self.keywords),
                re.IGNORECASE,
            )


def searchable_text(status: Status) -> str:
    """What keywords are matched against: spoiler text, text, poll options, media descriptions.

    ``status`` is the status shown (for a reblog, the caller passes its original); its
    poll is loaded beforehand (:func:`filters_apply` prefetches a page's polls).
    """
    parts = [status.spoiler_text, status.text]
    poll = poll_of(status)
    if poll is not None:
        parts.extend(poll.options)
    parts.extend(media.description for media in status_media(status) if media.description)
    return "\n\n".join(part for part in parts if part)


@dataclass
class ActiveFilters:
    """A viewer's active filters, compiled once for a request or a streamed event."""

    filters: list[CompiledFilter] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.filters)

    @property
    def has_keywords(self) -> bool:
        return any(compiled.regex is not None for compiled in self.filters)

    def match(self, status: Status) -> list[FilterResult]:
        """The filters that match ``status`` (a reblog is matched by its original)."""
        shown = status.reblog_of or status  # no query when it is not a reblog
        text: str | None = None
        now = timezone.now()
        results = []
        for compiled in self.filters:
            if not compiled.filter.is_active(now):
                continue
            keyword_matches = None
            if compiled.regex is not None:
                if text is None:
                    text = searchable_text(shown)
                found = compiled.regex.search(text)
                if found is not None:
                    keyword_matches = [found.group(0)]
            status_matches = [
                str(status_id)
                for status_id in (status.pk, status.reblog_of_id)
                if status_id is not None and status_id in compiled.status_ids
            ] or None
            if keyword_matches or status_matches:
                results.append(FilterResult(compiled.filter, keyword_matches, status_matches))
        return results


ACTIVE_FILTERS_CACHE_SECONDS = 3600


def _active_filters_key(account_id: int) -> str:
    return f"feed:filters:v1:{account_id}"


def forget_active_filters(*, sender, instance, **_kwargs) -> None:
    """Drop an account's cached filter rows when one of its filters, keywords or filtered
    statuses is saved or deleted (connected to their signals in ``FeedConfig.ready``):
    now, and again after commit, so a reader racing the write cannot keep the old rows."""
    if sender is Filter:
        account_ids = [instance.account_id]
    else:
        account_ids = list(
            Filter.objects.filter(pk=instance.filter_id).values_list("account_id", flat=True)
        )
    for account_id in account_ids:
        key = _active_filters_key(account_id)
        cache.delete(key)
        transaction.on_commit(partial(cache.delete, key), robust=True)


def _filter_rows(viewer) -> list[tuple]:
    """The viewer's filters joined with their keywords and statuses, expired ones included:
    from the cache (one read), or one query."""
    key = _active_filters_key(viewer.pk)
    rows = cache.get(key)
    if rows is None:
        rows = list(
            Filter.objects.filter(account=viewer)
            .values_list(
                "id",
                "title",
                "context",
                "action",
                "expires_at",
                "keywords__keyword",
                "keywords__whole_word",
                "statuses__status_id",
            )
            .order_by("id")
        )
        cache.set(key, rows, ACTIVE_FILTERS_CACHE_SECONDS)
    return rows


def active_filters(*, viewer) -> ActiveFilters:
    """The viewer's unexpired filters with their keywords and statuses: one cache read, or
    one query when the cache has not got them (every change to them drops the entry).

    Nothing is read for an anonymous viewer. A filter with neither keywords nor
    statuses matches nothing and is left out.
    """
    if viewer is None or not viewer.is_authenticated:
        return ActiveFilters()
    now = timezone.now()
    rows = [row for row in _filter_rows(viewer) if row[4] is None or row[4] > now]
    compiled: dict[int, CompiledFilter] = {}
    for filter_id, title, context, action, expires_at, keyword, whole_word, status_id in rows:
        entry = compiled.get(filter_id)
        if entry is None:
            entry = compiled[filter_id] = CompiledFilter(
                Filter(
                    id=filter_id,
                    account_id=viewer.pk,
                    title=title,
                    context=context,
                    action=action,
                    expires_at=expires_at,
                )
            )
        if keyword and (keyword, whole_word) not in entry.keywords:
            entry.keywords.append((keyword, whole_word))
        if status_id is not None:
            entry.status_ids.add(status_id)
    for entry in compiled.values():
        entry.compile()
    return ActiveFilters(
        [entry for entry in compiled.values() if entry.keywords or entry.status_ids]
    )


@dataclass
class Filtered:
    """Statuses after filtering: those kept, and each one's FilterResults by status id.

    A reblog's results are listed under its original's id too, so the original's
    entity inside the reblog shows them (as Mastodon's ``filters_map``).
    """

    statuses: list[Status]
    results: dict[int, list[FilterResult]]
    hidden_ids: set[int] = field(default_factory=set)


def filters_apply(
    *,
    viewer,
    statuses: Sequence[Status],
    context: str | None,
    filters: ActiveFilters | None = None,
) -> Filtered:
    """Apply ``viewer``'s active filters to ``statuses`` read in ``context``.

    Statuses a ``hide`` filter of ``context`` matches are left out (a page may come out
    short, as Mastodon's); with ``context`` None (a status asked for by id, bookmarks,
    favourites) nothing is left out. ``filters`` may be given when already compiled
    (a stream). One query for the filters, at most one for media descriptions.
    """
    if not statuses:
        return Filtered([], {})  # nothing to filter: no query for the filters either
    if filters is None:
        filters = active_filters(viewer=viewer)
    if not filters:
        return Filtered(list(statuses), {})
    if filters.has_keywords:
        prefetch_media(statuses)
        prefetch_polls(statuses)
    kept: list[Status] = []
    results: dict[int, list[FilterResult]] = {}
    hidden: set[int] = set()
    for status in statuses:
        matches = filters.match(status)
        if context is not None and any(
            result.filter.action == Filter.Action.HIDE and context in result.filter.context
            for result in matches
        ):
            hidden.add(status.pk)
            continue
        kept.append(status)
        if matches:
            results[status.pk] = matches
            if status.reblog_of_id is not None:
                results[status.reblog_of_id] = matches
    return Filtered(kept, results, hidden)
