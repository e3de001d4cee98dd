"""Mastodon's pagination: ``max_id``, ``since_id``, ``min_id``, ``limit`` and a ``Link`` header.

Lists are ordered newest first by a time-ordered id (or any monotonically
increasing key). ``max_id`` pages backwards (older), ``since_id`` returns the
newest items above an id, ``min_id`` the items immediately above an id (forward
paging, still returned newest first). ``limit`` defaults to 20 and is capped at 40.

This module is plain Python (services and selectors take a :class:`PageParams`);
a view answers a page with :func:`core.api.pagination.paged_response` (cursor
pages) or :func:`core.api.pagination.offset_paged_response` (lists ordered by
something other than an id, such as trends, paged by ``offset``), never by setting
``Link`` itself::

    params = page_params(request)
    rows = selectors.favourites_page(viewer=request.user, params=params)
    return paged_response(request, Serializer(rows, many=True).data, rows=rows, params=params)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.errors import Invalid
from core.ids import MAX_ID
from core.postgres import preparing
from core.rows import RowShape, rows_by_keys

if TYPE_CHECKING:
    from rest_framework.request import Request

DEFAULT_LIMIT = 20
MAX_LIMIT = 40
# Offset pages go no deeper than this: past it a client is crawling, not reading.
MAX_OFFSET = 10_000


@dataclass(frozen=True)
class PageParams:
    max_id: int | None
    since_id: int | None
    min_id: int | None
    limit: int


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise Invalid({name: [_("must be an integer id")]}) from None
    if value < 0:
        raise Invalid({name: [_("must not be negative")]})
    if value > MAX_ID:
        raise Invalid({name: [_("is out of range")]})
    return value


def page_params(
    request: Request, *, default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT
) -> PageParams:
    """Read and validate the paging parameters (a bad value is a 422, never a 500).

    ``limit`` defaults to ``default_limit`` and is capped at ``max_limit``; a
    non-integer, negative, zero limit or an id beyond 64 bits raises ``Invalid``.
    """
    limit = _int_param(request, "limit")
    if limit == 0:
        raise Invalid({"limit": [_("must be at least 1")]})
    return PageParams(
        max_id=_int_param(request, "max_id"),
        since_id=_int_param(request, "since_id"),
        min_id=_int_param(request, "min_id"),
        limit=min(limit or default_limit, max_limit),
    )


def paginate_queryset(queryset: QuerySet, params: PageParams, *, key: str = "id") -> list[Any]:
    """One page of ``queryset`` (newest first by ``key``) as a list."""
    if params.max_id is not None:
        queryset = queryset.filter(**{f"{key}__lt": params.max_id})
    if params.since_id is not None:
        queryset = queryset.filter(**{f"{key}__gt": params.since_id})
    if params.min_id is not None:
        queryset = queryset.filter(**{f"{key}__gt": params.min_id})
        page = list(queryset.order_by(key)[: params.limit])
        page.reverse()
        return page
    return list(queryset.order_by(f"-{key}")[: params.limit])


def paginate_in_two(
    queryset: QuerySet, params: PageParams, rows: QuerySet | RowShape, *, prepared: bool = False
) -> list[Any]:
    """One page of ``queryset`` in two queries: its keys by the queryset's own rules and
    order, then ``rows`` (the same model's, with the relations they carry) having those keys,
    put back in the page's order. Rules and relations in one query cost more to compile and to
    plan than the two (``apps.feed.selectors.statuses.statuses_page`` says by how much).

    With ``prepared`` the keys' query is prepared (:func:`core.postgres.preparing`): only
    for a queryset whose generic plan was measured to be its plan (``bench/plans.py``)."""
    keys_query = queryset.values_list("pk", flat=True)
    if not prepared:
        keys = paginate_queryset(keys_query, params)
    else:
        using = keys_query.db  # a replica is chosen once (core.replicas): the query runs there
        with preparing(using):
            keys = paginate_queryset(keys_query.using(using), params)
    return rows_in_order(keys, rows) if keys else []


def only_row(queryset: QuerySet):
    """The one row of ``queryset`` (filtered by a unique key), or None.

    ``first()`` without the ORDER BY it adds: ordering makes Django hash every selected
    column to match the ordering against them (``SQLCompiler._order_by_pairs``), 1 to 1.5 ms
    of CPU for a status with its relations, for a query that finds one row anyway."""
    return next(iter(queryset[:1]), None)


def rows_in_order(keys: Sequence[Any], rows: QuerySet | RowShape) -> list[Any]:
    """The rows of ``rows`` whose key is in ``keys``, in the order of ``keys`` (missing ones
    left out). A :class:`core.rows.RowShape` is read from SQL compiled once."""
    found = rows_by_keys(rows, keys) if isinstance(rows, RowShape) else rows.filter(pk__in=keys)
    by_key = {row.pk: row for row in found}
    return [by_key[key] for key in keys if key in by_key]


def link_header(
    request: Request, items: Sequence[Any], params: PageParams, *, key: str = "id"
) -> str | None:
    """The ``Link`` header for a page: ``next`` (older) and ``prev`` (newer)."""
    if not items:
        return None
    base = request.build_absolute_uri(request.path)
    extra = {
        k: v for k, v in request.query_params.lists() if k not in ("max_id", "since_id", "min_id")
    }
    extra["limit"] = [str(params.limit)]

    def url(**cursor: int) -> str:
        query = [(k, v) for k, values in extra.items() for v in values]
        query += [(k, str(v)) for k, v in cursor.items()]
        return f"{base}?{urlencode(query)}"

    newest = getattr(items[0], key)
    oldest = getattr(items[-1], key)
    return f'<{url(max_id=oldest)}>; rel="next", <{url(min_id=newest)}>; rel="prev"'


def offset_param(request: Request, *, max_offset: int = MAX_OFFSET) -> int:
    """The ``offset`` parameter (default 0); a non-integer, negative or huge one is a 422."""
    raw = request.query_params.get("offset")
    if raw in (None, ""):
        return 0
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise Invalid({"offset": [_("must be a whole number")]}) from None
    if value < 0:
        raise Invalid({"offset": [_("must not be negative")]})
    if value > max_offset:
        raise Invalid({"offset": [_("is out of range")]})
    return value
