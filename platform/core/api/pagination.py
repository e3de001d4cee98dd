"""Answering a page: the serialized items with Mastodon's ``Link`` header.

See :mod:`core.pagination` for the parameters; views call these instead of
setting ``Link`` themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from rest_framework.request import Request
from rest_framework.response import Response

from core.pagination import PageParams, link_header


def paged_response(
    request: Request,
    data: Any,
    *,
    rows: Sequence[Any],
    params: PageParams,
    key: str = "id",
    status: int = 200,
) -> Response:
    """``data`` (the serialized page) with the ``Link`` header built from ``rows``.

    ``rows`` are the objects whose ``key`` are the page's cursors: the entities
    themselves, or the rows they came from when the two differ (a reblog's row
    id, a notification's id).
    """
    response = Response(data, status=status)
    link = link_header(request, rows, params, key=key)
    if link:
        response["Link"] = link
    return response


def offset_paged_response(
    request: Request, data: Any, *, offset: int, limit: int, count: int
) -> Response:
    """An offset page: ``Link`` ``rel="next"`` points at the next offset while pages are full.

    ``count`` is how many items the page holds (``data`` may hold them in another shape).
    """
    response = Response(data)
    if count >= limit:
        query = [(k, v) for k, values in request.query_params.lists() for v in values]
        query = [(k, v) for k, v in query if k not in ("offset", "limit")]
        query += [("limit", str(limit)), ("offset", str(offset + limit))]
        base = request.build_absolute_uri(request.path)
        response["Link"] = f'<{base}?{urlencode(query)}>; rel="next"'
    return response
