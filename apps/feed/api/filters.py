"""Mastodon's filters: ``/api/v2/filters`` (with ``/keywords`` and ``/statuses``) and the
v1 view of them, ``/api/v1/filters``, where each keyword is a filter of its own.

Parameters arrive as Mastodon's clients send them: JSON bodies, or forms with
``context[]`` and Rails' nested attributes, ``keywords_attributes[][keyword]``
(``[][whole_word]``, ``[][id]``, ``[][_destroy]``) or ``keywords_attributes[0][keyword]``.
Rules live in :mod:`apps.feed.services.filters`; applying filters to what a viewer reads
is :func:`statuses_filtered`, the one call every timeline, thread, notification list and
stream makes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.feed import selectors, services
from apps.feed.models import Filter, FilterKeyword, FilterStatus, Status
from apps.feed.services.filters import UNSET
from core import errors
from core.permissions import HasScope, HasUser

# Entities ----------------------------------------------------------------------


class FilterKeywordSerializer(serializers.ModelSerializer):
    """Mastodon's FilterKeyword."""

    id = serializers.CharField(read_only=True)

    class Meta:
        model = FilterKeyword
        fields = ["id", "keyword", "whole_word"]


class FilterStatusSerializer(serializers.ModelSerializer):
    """Mastodon's FilterStatus."""

    id = serializers.CharField(read_only=True)
    status_id = serializers.CharField(read_only=True)

    class Meta:
        model = FilterStatus
        fields = ["id", "status_id"]


class FilterSummarySerializer(serializers.ModelSerializer):
    """Mastodon's Filter as a FilterResult shows it: without its keywords and statuses."""

    id = serializers.CharField(read_only=True)
    context = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]  # the entity's field, not Serializer.context
    filter_action = serializers.CharField(source="action")
    expires_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = Filter
        fields = ["id", "title", "context", "expires_at", "filter_action"]


class FilterSerializer(FilterSummarySerializer):
    """Mastodon's Filter, with its keywords and statuses."""

    keywords = FilterKeywordSerializer(many=True, read_only=True)
    statuses = FilterStatusSerializer(many=True, read_only=True)

    class Meta(FilterSummarySerializer.Meta):
        fields = [*FilterSummarySerializer.Meta.fields, "keywords", "statuses"]


class FilterResultSerializer(serializers.Serializer):
    """Mastodon's FilterResult: a filter that matched a status, and what matched."""

    filter = FilterSummarySerializer()
    keyword_matches = serializers.ListField(child=serializers.CharField(), allow_null=True)
    status_matches = serializers.ListField(child=serializers.CharField(), allow_null=True)


class FilterV1Serializer(serializers.Serializer):
    """Mastodon's v1 Filter: one keyword of a filter, with its filter's settings."""

    id = serializers.CharField()
    phrase = serializers.CharField(source="keyword")
    context = serializers.ListField(child=serializers.CharField(), source="filter.context")  # type: ignore[assignment]  # the entity's field, not Serializer.context
    whole_word = serializers.BooleanField()
    expires_at = serializers.DateTimeField(source="filter.expires_at", allow_null=True)
    irreversible = serializers.SerializerMethodField()

    def get_irreversible(self, keyword: FilterKeyword) -> bool:
        return keyword.filter.action == Filter.Action.HIDE


# Applying a viewer's filters ------------------------------------------------------


def statuses_filtered(
    *, viewer, statuses: Sequence[Status], context: str | None, filters=None
) -> tuple[list[Status], selectors.ViewerState]:
    """The statuses ``viewer`` is shown in ``context`` and their ViewerState, ``filtered`` set.

    Statuses a ``hide`` filter of ``context`` matches are left out
    (:func:`apps.feed.selectors.filters_apply`); the FilterResults of the others are
    rendered into the state, which the Status entity overlays per viewer (never cached).
    """
    applied = selectors.filters_apply(
        viewer=viewer, statuses=statuses, context=context, filters=filters
    )
    state = selectors.viewer_state(viewer=viewer, statuses=applied.statuses)
    state.filtered = filter_results_rendered(applied.results)
    return applied.statuses, state


def filter_results_rendered(
    results: Mapping[int, Sequence[selectors.FilterResult]],
) -> dict[int, list[dict[str, Any]]]:
    """FilterResult entities by status id, for ``ViewerState.filtered``."""
    return {
        status_id: [
            FilterResultSerializer(
                {
                    "filter": result.filter,
                    "keyword_matches": result.keyword_matches,
                    "status_matches": result.status_matches,
                }
            ).data
            for result in matches
        ]
        for status_id, matches in results.items()
    }


def stream_filter_context(stream: str, *, notification: bool = False) -> str:
    """The filter context of what a stream carries: ``notifications`` for notifications,
    ``public`` for the public and hashtag streams, ``home`` for the user stream (and lists)."""
    if notification:
        return Filter.Context.NOTIFICATIONS
    if stream.startswith(("public", "hashtag")):
        return Filter.Context.PUBLIC
    return Filter.Context.HOME


# Input --------------------------------------------------------------------------

_NESTED_KEY = re.compile(r"^keywords_attributes\[(\d*)\]\[(\w+)\]$")


def _form_pairs(request) -> list[tuple[str, str]] | None:
    """The body's name-value pairs in their order, for an urlencoded form (else None)."""
    if not (request.content_type or "").startswith("application/x-www-form-urlencoded"):
        return None
    try:
        body = request._request.body
    except RawPostDataException:
        return None
    try:
        return parse_qsl(body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        return None


def _nested_from_pairs(pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Rails' nested parameters: ``[][name]`` starts a new item when the last has ``name``;
    ``[N][name]`` items follow, by index."""
    items: list[dict[str, Any]] = []
    indexed: dict[str, dict[str, Any]] = {}
    for key, value in pairs:
        match = _NESTED_KEY.match(key)
        if match is None:
            continue
        index, name = match.groups()
        if index:
            indexed.setdefault(index, {})[name] = value
        elif not items or name in items[-1]:
            items.append({name: value})
        else:
            items[-1][name] = value
    return items + [indexed[index] for index in sorted(indexed, key=int)]


def _nested_from_grouped(data) -> list[dict[str, Any]]:
    """Nested parameters from a form whose order is lost (multipart): the n-th value of each
    ``[][name]`` makes the n-th item; ``[N][name]`` items follow, by index."""
    items: list[dict[str, Any]] = []
    indexed: dict[str, dict[str, Any]] = {}
    for key in data:
        match = _NESTED_KEY.match(key)
        if match is None:
            continue
        index, name = match.groups()
        values = data.getlist(key)
        if index:
            indexed.setdefault(index, {})[name] = values[-1]
            continue
        while len(items) < len(values):
            items.append({})
        for item, value in zip(items, values, strict=False):
            item[name] = value
    return items + [indexed[index] for index in sorted(indexed, key=int)]


def _keywords_attributes(request) -> list[dict[str, Any]] | None:
    """``keywords_attributes`` as a list of dicts, or None when the request has none.

    Raises Invalid when a JSON body gives something other than a list (or an index map)
    of objects.
    """
    data = _body(request)
    if not hasattr(data, "getlist"):  # JSON
        if "keywords_attributes" not in data:
            return None
        value = data["keywords_attributes"]
        if isinstance(value, Mapping):  # Rails also takes {"0": {...}, "1": {...}}
            value = list(value.values())
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            raise errors.Invalid({"keywords_attributes": [_("must be a list of keywords")]})
        return [dict(item) for item in value]
    if not any(_NESTED_KEY.match(key) for key in data):
        return None
    pairs = _form_pairs(request)
    return _nested_from_pairs(pairs) if pairs is not None else _nested_from_grouped(data)


def _body(request) -> Mapping[str, Any]:
    """The request's parameters; Invalid when a JSON body is not an object."""
    data = request.data
    if not isinstance(data, Mapping):
        raise errors.Invalid(_("The request body must be an object"))
    return data


def _value(data, name: str) -> Any:
    """A scalar parameter, or UNSET when it is absent."""
    if name not in data:
        return UNSET
    return data.get(name)


def _context(data) -> Any:
    """``context[]`` (form) or ``context`` (JSON list, or a single value), or UNSET."""
    if hasattr(data, "getlist"):
        if "context[]" in data:
            return data.getlist("context[]")
        if "context" in data:
            return data.getlist("context")
        return UNSET
    return data.get("context", UNSET) if isinstance(data, Mapping) else UNSET


def _given(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not UNSET}


def _read_body(request) -> None:
    """Keep an urlencoded body's text before DRF parses it, for its pairs' order."""
    if (request.content_type or "").startswith("application/x-www-form-urlencoded"):
        try:
            request._request.body  # noqa: B018  # Django caches it; the parser reads the copy
        except RawPostDataException:
            pass


# Request documentation ------------------------------------------------------------


class FilterKeywordAttributesSerializer(serializers.Serializer):
    id = serializers.CharField(required=False)
    keyword = serializers.CharField(required=False)
    whole_word = serializers.BooleanField(required=False)
    _destroy = serializers.BooleanField(required=False)


class FilterWriteSerializer(serializers.Serializer):
    """``POST``/``PUT /api/v2/filters``: forms send ``context[]`` and
    ``keywords_attributes[][keyword]``; JSON sends lists."""

    title = serializers.CharField(required=False)
    context = serializers.ListField(
        child=serializers.ChoiceField(choices=Filter.Context.choices), required=False
    )  # type: ignore[assignment]  # the entity's field, not Serializer.context
    filter_action = serializers.ChoiceField(choices=Filter.Action.choices, required=False)
    expires_in = serializers.IntegerField(required=False, allow_null=True)
    keywords_attributes = FilterKeywordAttributesSerializer(many=True, required=False)


class FilterKeywordWriteSerializer(serializers.Serializer):
    keyword = serializers.CharField(required=False)
    whole_word = serializers.BooleanField(required=False)


class FilterStatusWriteSerializer(serializers.Serializer):
    status_id = serializers.CharField()


class FilterV1WriteSerializer(serializers.Serializer):
    phrase = serializers.CharField(required=False)
    context = serializers.ListField(
        child=serializers.ChoiceField(choices=Filter.Context.choices), required=False
    )  # type: ignore[assignment]  # the entity's field, not Serializer.context
    irreversible = serializers.BooleanField(required=False)
    whole_word = serializers.BooleanField(required=False)
    expires_in = serializers.IntegerField(required=False, allow_null=True)


# Views: v2 --------------------------------------------------------------------------


class FilterScopedView(APIView):
    permission_classes = [HasScope, HasUser]
    required_scopes = {
        "GET": "read:filters",
        "POST": "write:filters",
        "PUT": "write:filters",
        "DELETE": "write:filters",
    }


def _filter_response(filter: Filter) -> Response:
    fresh = selectors.filter_get_for_owner(owner=filter.account, filter_id=filter.pk)
    return Response(FilterSerializer(fresh).data)


class FilterListView(FilterScopedView):
    @extend_schema(responses=FilterSerializer(many=True), operation_id="filters_v2_list")
    def get(self, request):
        return Response(
            FilterSerializer(selectors.filters_for_owner(owner=request.user), many=True).data
        )

    @extend_schema(
        request=FilterWriteSerializer, responses=FilterSerializer, operation_id="filters_v2_create"
    )
    def post(self, request):
        _read_body(request)
        keywords = _keywords_attributes(request) or []
        data = _body(request)
        context = _context(data)
        created = services.filter_create(
            account=request.user,
            title=data.get("title"),
            context=None if context is UNSET else context,
            action=data.get("filter_action") or Filter.Action.WARN,
            expires_in=data.get("expires_in"),
            keywords=keywords,
        )
        return _filter_response(created)


class FilterDetailView(FilterScopedView):
    def _owned(self, request, filter_id: int) -> Filter:
        return selectors.filter_get_for_owner(owner=request.user, filter_id=filter_id)

    @extend_schema(responses=FilterSerializer, operation_id="filters_v2_get")
    def get(self, request, filter_id: int):
        return Response(FilterSerializer(self._owned(request, filter_id)).data)

    @extend_schema(
        request=FilterWriteSerializer, responses=FilterSerializer, operation_id="filters_v2_update"
    )
    def put(self, request, filter_id: int):
        _read_body(request)
        found = self._owned(request, filter_id)
        keywords = _keywords_attributes(request) or []
        data = _body(request)
        services.filter_update(
            filter=found,
            keywords_attributes=keywords,
            **_given(
                title=_value(data, "title"),
                context=_context(data),
                action=_value(data, "filter_action"),
                expires_in=_value(data, "expires_in"),
            ),
        )
        return _filter_response(found)

    @extend_schema(responses={200: dict}, operation_id="filters_v2_delete")
    def delete(self, request, filter_id: int):
        services.filter_delete(filter=self._owned(request, filter_id))
        return Response({})


class FilterKeywordListView(FilterScopedView):
    @extend_schema(responses=FilterKeywordSerializer(many=True))
    def get(self, request, filter_id: int):
        found = selectors.filter_get_for_owner(owner=request.user, filter_id=filter_id)
        return Response(FilterKeywordSerializer(found.keywords.all(), many=True).data)

    @extend_schema(request=FilterKeywordWriteSerializer, responses=FilterKeywordSerializer)
    def post(self, request, filter_id: int):
        found = selectors.filter_get_for_owner(owner=request.user, filter_id=filter_id)
        keyword = services.filter_keyword_add(
            filter=found,
            keyword=_body(request).get("keyword"),
            whole_word=_body(request).get("whole_word"),
        )
        return Response(FilterKeywordSerializer(keyword).data)


class FilterKeywordDetailView(FilterScopedView):
    def _owned(self, request, keyword_id: int) -> FilterKeyword:
        return selectors.filter_keyword_get_for_owner(owner=request.user, keyword_id=keyword_id)

    @extend_schema(responses=FilterKeywordSerializer)
    def get(self, request, keyword_id: int):
        return Response(FilterKeywordSerializer(self._owned(request, keyword_id)).data)

    @extend_schema(request=FilterKeywordWriteSerializer, responses=FilterKeywordSerializer)
    def put(self, request, keyword_id: int):
        keyword = self._owned(request, keyword_id)
        data = _body(request)
        services.filter_keyword_update(
            keyword=keyword,
            **_given(text=_value(data, "keyword"), whole_word=_value(data, "whole_word")),
        )
        return Response(FilterKeywordSerializer(keyword).data)

    @extend_schema(responses={200: dict})
    def delete(self, request, keyword_id: int):
        services.filter_keyword_delete(keyword=self._owned(request, keyword_id))
        return Response({})


class FilterStatusListView(FilterScopedView):
    @extend_schema(responses=FilterStatusSerializer(many=True))
    def get(self, request, filter_id: int):
        found = selectors.filter_get_for_owner(owner=request.user, filter_id=filter_id)
        return Response(FilterStatusSerializer(found.statuses.all(), many=True).data)

    @extend_schema(request=FilterStatusWriteSerializer, responses=FilterStatusSerializer)
    def post(self, request, filter_id: int):
        found = selectors.filter_get_for_owner(owner=request.user, filter_id=filter_id)
        row = services.filter_status_add(filter=found, status_id=_body(request).get("status_id"))
        return Response(FilterStatusSerializer(row).data)


class FilterStatusDetailView(FilterScopedView):
    def _owned(self, request, filter_status_id: int) -> FilterStatus:
        return selectors.filter_status_get_for_owner(
            owner=request.user, filter_status_id=filter_status_id
        )

    @extend_schema(responses=FilterStatusSerializer)
    def get(self, request, filter_status_id: int):
        return Response(FilterStatusSerializer(self._owned(request, filter_status_id)).data)

    @extend_schema(responses={200: dict})
    def delete(self, request, filter_status_id: int):
        services.filter_status_delete(filter_status=self._owned(request, filter_status_id))
        return Response({})


# Views: v1 ---------------------------------------------------------------------------


class FilterV1ListView(FilterScopedView):
    @extend_schema(responses=FilterV1Serializer(many=True), operation_id="filters_v1_list")
    def get(self, request):
        keywords = selectors.filter_keywords_for_owner(owner=request.user)
        return Response(FilterV1Serializer(keywords, many=True).data)

    @extend_schema(
        request=FilterV1WriteSerializer,
        responses=FilterV1Serializer,
        operation_id="filters_v1_create",
    )
    def post(self, request):
        data = _body(request)
        context = _context(data)
        keyword = services.filter_v1_create(
            account=request.user,
            phrase=data.get("phrase"),
            context=None if context is UNSET else context,
            irreversible=data.get("irreversible", False),
            whole_word=data.get("whole_word"),
            expires_in=data.get("expires_in"),
        )
        return Response(FilterV1Serializer(keyword).data)


class FilterV1DetailView(FilterScopedView):
    def _owned(self, request, filter_id: int) -> FilterKeyword:
        return selectors.filter_keyword_get_for_owner(owner=request.user, keyword_id=filter_id)

    @extend_schema(responses=FilterV1Serializer, operation_id="filters_v1_get")
    def get(self, request, filter_id: int):
        return Response(FilterV1Serializer(self._owned(request, filter_id)).data)

    @extend_schema(
        request=FilterV1WriteSerializer,
        responses=FilterV1Serializer,
        operation_id="filters_v1_update",
    )
    def put(self, request, filter_id: int):
        keyword = self._owned(request, filter_id)
        data = _body(request)
        services.filter_v1_update(
            keyword=keyword,
            **_given(
                phrase=_value(data, "phrase"),
                context=_context(data),
                irreversible=_value(data, "irreversible"),
                whole_word=_value(data, "whole_word"),
                expires_in=_value(data, "expires_in"),
            ),
        )
        return Response(FilterV1Serializer(keyword).data)

    @extend_schema(responses={200: dict}, operation_id="filters_v1_delete")
    def delete(self, request, filter_id: int):
        services.filter_keyword_delete(keyword=self._owned(request, filter_id))
        return Response({})
