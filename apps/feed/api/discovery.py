"""Search, trends and the ranked home timeline. Thin: parse, call one selector, shape output."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework import status as http
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.serializers import AccountSerializer
from apps.feed.api.filters import statuses_filtered
from apps.feed.api.serializers import StatusSerializer, StatusTagSerializer
from apps.feed.api.views import UserView
from apps.feed.models import Filter
from apps.feed.selectors import ranking, search, trends
from core.api.pagination import offset_paged_response
from core.ids import parse_id
from core.pagination import offset_param, page_params
from core.params import truthy
from core.permissions import HasScope


def _serialize_statuses(request: Request, statuses) -> list:
    """Status entities with the viewer's ``filtered`` (nothing hidden: trends are no context)."""
    statuses, state = statuses_filtered(viewer=request.user, statuses=statuses, context=None)
    return StatusSerializer(  # type: ignore[return-value]  # many=True: a list
        statuses, many=True, context={"request": request, "viewer_state": state}
    ).data


def _tags_entities(tags, histories) -> list[dict]:
    """Mastodon's Tag entities (name, url, history) for ``tags``."""
    return [
        {
            **StatusTagSerializer(tag).data,
            "history": [day.as_entity() for day in histories.get(tag.pk, [])],
        }
        for tag in tags
    ]


class _TagHistorySerializer(serializers.Serializer):
    day = serializers.CharField()
    uses = serializers.CharField()
    accounts = serializers.CharField()


class TagEntitySerializer(serializers.Serializer):
    """Mastodon's Tag (schema only; built by :func:`_tags_entities`)."""

    name = serializers.CharField()
    url = serializers.CharField()
    history = _TagHistorySerializer(many=True)


class SearchEntitySerializer(serializers.Serializer):
    """Mastodon's Search (schema only)."""

    accounts = AccountSerializer(many=True)
    statuses = StatusSerializer(many=True)
    hashtags = TagEntitySerializer(many=True)


class RankingComponentSerializer(serializers.Serializer):
    value = serializers.FloatField()
    weight = serializers.FloatField()
    contribution = serializers.FloatField()


class RankingComponentsSerializer(serializers.Serializer):
    recency = RankingComponentSerializer()
    engagement = RankingComponentSerializer()
    affinity = RankingComponentSerializer()
    learned = RankingComponentSerializer()


class RankingExplanationSerializer(serializers.Serializer):
    score = serializers.FloatField()
    model_version = serializers.IntegerField(allow_null=True)
    components = RankingComponentsSerializer()


class RankedStatusSerializer(StatusSerializer):
    """A Status with ``agora_ranking``: its score and each component's share (schema only)."""

    agora_ranking = RankingExplanationSerializer(read_only=True)

    class Meta(StatusSerializer.Meta):
        fields = [*StatusSerializer.Meta.fields, "agora_ranking"]


class SearchView(APIView):
    """``GET /api/v2/search``: accounts, hashtags and statuses (Mastodon's Search entity).

    Anonymous requests get accounts and hashtags; asking them to ``resolve`` or
    to page with ``offset`` is a 401, as on Mastodon.
    """

    permission_classes = [AllowAny, HasScope]
    required_scopes = {"GET": "read:search"}

    @extend_schema(
        operation_id="search_v2",
        parameters=[
            OpenApiParameter("q", str, required=True),
            OpenApiParameter("type", str, enum=list(search.SEARCH_TYPES)),
            OpenApiParameter("resolve", bool),
            OpenApiParameter("following", bool),
            OpenApiParameter("account_id", str),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses=SearchEntitySerializer,
    )
    def get(self, request):
        query = request.query_params
        text = query.get("q", "")
        if not text.strip():
            raise ValidationError({"q": [_("is required")]})
        search_type = query.get("type") or None
        if search_type is not None and search_type not in search.SEARCH_TYPES:
            raise ValidationError(
                {
                    "type": [
                        _("must be one of: %(types)s") % {"types": ", ".join(search.SEARCH_TYPES)}
                    ]
                }
            )
        params = page_params(request)
        offset = offset_param(request)
        account_id = None
        if query.get("account_id"):
            account_id = parse_id(query["account_id"])
            if account_id is None:
                raise ValidationError({"account_id": [_("must be an account id")]})
        if not request.user.is_authenticated:
            # Mastodon's own messages for what only signed-in searches may do.
            if offset:
                return Response(
                    {
                        "error": _(
                            "Search queries pagination is not supported without authentication"
                        )
                    },
                    status=http.HTTP_401_UNAUTHORIZED,
                )
            if truthy(query.get("resolve", "")):
                return Response(
                    {
                        "error": _(
                            "Search queries that resolve remote resources are not supported "
                            "without authentication"
                        )
                    },
                    status=http.HTTP_401_UNAUTHORIZED,
                )
        results = search.search(
            viewer=request.user,
            query=text,
            search_type=search_type,
            following=truthy(query.get("following", "")),
            account_id=account_id,
            limit=params.limit,
            offset=offset,
            resolve=truthy(query.get("resolve", "")),
        )
        context = {"request": request}
        histories = trends.tag_histories(tags=results.hashtags)
        return Response(
            {
                "accounts": AccountSerializer(results.accounts, many=True, context=context).data,
                "statuses": _serialize_statuses(request, results.statuses),
                "hashtags": _tags_entities(results.hashtags, histories),
            }
        )


class TrendingTagsView(APIView):
    """``GET /api/v1/trends/tags`` (and ``/api/v1/trends``): Tag entities with 7-day history."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="trends_tags",
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses=TagEntitySerializer(many=True),
    )
    def get(self, request):
        params = page_params(request, default_limit=10, max_limit=20)
        offset = offset_param(request)
        tags = trends.trending_tags(limit=params.limit, offset=offset)
        data = _tags_entities(tags, trends.tag_histories(tags=tags))
        return offset_paged_response(
            request, data, offset=offset, limit=params.limit, count=len(tags)
        )


@extend_schema_view(get=extend_schema(operation_id="trends"))
class TrendsView(TrendingTagsView):
    """``GET /api/v1/trends``: the path of trending tags before Mastodon 3.5."""


class TrendingStatusesView(APIView):
    """``GET /api/v1/trends/statuses``: public statuses with the most recent engagement."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="trends_statuses",
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses=StatusSerializer(many=True),
    )
    def get(self, request):
        params = page_params(request)
        offset = offset_param(request)
        statuses = trends.trending_statuses(viewer=request.user, limit=params.limit, offset=offset)
        data = _serialize_statuses(request, statuses)
        return offset_paged_response(
            request, data, offset=offset, limit=params.limit, count=len(statuses)
        )


class RankedTimelineView(UserView):
    """``GET /api/agora/v1/timelines/ranked``: the home timeline, best first, with reasons.

    Each Status carries ``agora_ranking``: the total ``score``, the ``model_version``
    of the learned component (null before the first training) and, per component,
    its ``value``, ``weight`` and ``contribution``. Ranking is not ordered by id, so
    pages are by ``limit`` and ``offset`` (``max_id``/``min_id`` do not apply), and a
    ``Link`` ``rel="next"`` header points at the next offset while pages are full.
    """

    required_scopes = {"GET": "read:statuses"}

    @extend_schema(
        operation_id="timelines_ranked",
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses=RankedStatusSerializer(many=True),
    )
    def get(self, request):
        params = page_params(request)
        offset = offset_param(request)
        page = ranking.ranked_timeline(viewer=request.user, limit=params.limit, offset=offset)
        weights = ranking.ranking_weights()
        # The home timeline ranked: the viewer's filters hide in the home context.
        shown, state = statuses_filtered(
            viewer=request.user,
            statuses=[status for status, _entry in page],
            context=Filter.Context.HOME,
        )
        kept = {status.pk for status in shown}
        entries = [entry for status, entry in page if status.pk in kept]
        data = StatusSerializer(
            shown, many=True, context={"request": request, "viewer_state": state}
        ).data
        for entity, entry in zip(data, entries, strict=True):
            entity["agora_ranking"] = entry.explanation(weights)
        return offset_paged_response(
            request, data, offset=offset, limit=params.limit, count=len(page)
        )
