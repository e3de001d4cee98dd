"""``/api/v1/markers``: where the account stopped reading its home and notifications
timelines, shared by all its apps (Mastodon's Marker entity)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.feed import selectors, services
from apps.feed.models import Marker
from core.permissions import HasScope, HasUser

TIMELINES = [choice.value for choice in Marker.Timeline]


class MarkerSerializer(serializers.ModelSerializer):
    last_read_id = serializers.CharField()

    class Meta:
        model = Marker
        fields = ["last_read_id", "version", "updated_at"]


class MarkerPositionSerializer(serializers.Serializer):
    last_read_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


def _markers_response(markers) -> Response:
    return Response({marker.timeline: MarkerSerializer(marker).data for marker in markers})


def _positions(data) -> dict:
    """``{"home": {"last_read_id": ...}}`` (JSON) or ``home[last_read_id]=...`` (form)."""
    positions = {}
    for timeline in TIMELINES:
        value = data.get(timeline)
        if value is None and f"{timeline}[last_read_id]" in data:
            value = {"last_read_id": data.get(f"{timeline}[last_read_id]")}
        if value is not None:
            positions[timeline] = value
    return positions


class MarkersView(APIView):
    permission_classes = [HasScope, HasUser]
    required_scopes = {"GET": "read:statuses", "POST": "write:statuses"}

    @extend_schema(responses={200: dict}, operation_id="markers_get")
    def get(self, request):
        asked = request.query_params.getlist("timeline[]") or request.query_params.getlist(
            "timeline"
        )
        return _markers_response(selectors.markers_for(viewer=request.user, timelines=asked))

    @extend_schema(request=dict, responses={200: dict}, operation_id="markers_save")
    def post(self, request):
        positions = _positions(request.data)
        if not positions:
            raise ValidationError({"home": [_("give home or notifications, with last_read_id")]})
        checked = {}
        errors = {}
        for timeline, value in positions.items():
            form = MarkerPositionSerializer(data=value if isinstance(value, dict) else {})
            if form.is_valid():
                checked[timeline] = form.validated_data["last_read_id"]
            else:
                errors[timeline] = form.errors
        if errors:
            raise ValidationError(errors)
        return _markers_response(services.markers_save(account=request.user, positions=checked))
