"""Links people share: ``/api/v1/trends/links`` and ``/api/v1/timelines/link``.

Both are built on preview cards (:mod:`apps.feed.services.cards`): a link trends when
the most distinct accounts share it in public statuses within the trends window, and
Mastodon 4.3's link timeline shows the public statuses sharing a trending link (any
other URL is not found, as Mastodon answers).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from apps.feed.api.discovery import _TagHistorySerializer
from apps.feed.api.serializers import PreviewCardSerializer, StatusSerializer
from apps.feed.api.views import _statuses_response
from apps.feed.selectors import timelines, trends
from core import errors
from core.api.pagination import offset_paged_response
from core.api.schema import error_response
from core.pagination import offset_param, page_params


class TrendsLinkSerializer(PreviewCardSerializer):
    """Mastodon's Trends::Link: a PreviewCard with its seven-day history."""

    history = _TagHistorySerializer(many=True, read_only=True)

    class Meta(PreviewCardSerializer.Meta):
        fields = [*PreviewCardSerializer.Meta.fields, "history"]


class TrendingLinksView(APIView):
    """``GET /api/v1/trends/links``: the links shared by the most accounts lately."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="trends_links",
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses=TrendsLinkSerializer(many=True),
    )
    def get(self, request):
        params = page_params(request, default_limit=10, max_limit=20)
        offset = offset_param(request)
        cards = trends.trending_links(limit=params.limit, offset=offset)
        histories = trends.link_histories(cards=cards)
        data = [
            {
                **PreviewCardSerializer(card).data,
                "history": [day.as_entity() for day in histories.get(card.pk, [])],
            }
            for card in cards
        ]
        return offset_paged_response(
            request, data, offset=offset, limit=params.limit, count=len(cards)
        )


class LinkTimelineView(APIView):
    """``GET /api/v1/timelines/link?url=``: public statuses sharing a trending link."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="timelines_link",
        parameters=[OpenApiParameter("url", str, required=True)],
        responses={200: StatusSerializer(many=True), 404: error_response("Not a trending link")},
    )
    def get(self, request):
        url = request.query_params.get("url", "")
        card = trends.is_trending_link(url) if url else None
        if card is None:
            raise errors.NotFound(_("Record not found"))
        params = page_params(request)
        statuses = timelines.link_timeline(viewer=request.user, card_id=card.pk, params=params)
        return _statuses_response(request, statuses, params=params)
