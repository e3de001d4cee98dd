"""``/api/v1/markers``: where the account stopped reading its home and notifications
timelines, shared by all its apps (Mastodon's Marker entity)."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.feed import selectors, services
from apps.feed.models import Marker
from core.ids import MAX_ID
from core.permissions import HasScope, HasUser

TIMELINES = [choice.value for choice in Marker.Timeline]


class MarkerSerializer(serializers.ModelSerializer):
    last_read_id = serializers.CharField()

    class Meta:
        model = Marker
        fields = ["last_read_id", "version", "updated_at"]


class MarkersSaveSerializer(serializers.Serializer):
    """The positions to save, under Mastodon's form names (``home[last_read_id]``)."""

    def get_fields(self):
        return {
            f"{timeline}[last_read_id]": serializers.IntegerField(
                min_value=1, max_value=MAX_ID, required=False
            )
            for timeline in TIMELINES
        }

    def to_internal_value(self, data):
        # JSON bodies nest the id ({"home": {"last_read_id": ...}}); forms name it flat.
        if isinstance(data, Mapping):
            flat = dict(data.items())
            for timeline in TIMELINES:
                if timeline not in flat:
                    continue
                nested = flat.pop(timeline)
                if not isinstance(nested, Mapping):
                    raise ValidationError({timeline: [_("must be an object with last_read_id")]})
                if "last_read_id" in nested:
                    flat[f"{timeline}[last_read_id]"] = nested["last_read_id"]
            data = flat
        return super().to_internal_value(data)

    def validate(self, data):
        if not data:
            raise ValidationError(_("give home[last_read_id] or notifications[last_read_id]"))
        return {name.removesuffix("[last_read_id]"): value for name, value in data.items()}


def _markers_response(markers) -> Response:
    return Response({marker.timeline: MarkerSerializer(marker).data for marker in markers})


class MarkersView(APIView):
    permission_classes = [HasScope, HasUser]
    required_scopes = {"GET": "read:statuses", "POST": "write:statuses"}

    @extend_schema(responses={200: dict}, operation_id="markers_get")
    def get(self, request):
        asked = request.query_params.getlist("timeline[]") or request.query_params.getlist(
            "timeline"
        )
        return _markers_response(selectors.markers_for(viewer=request.user, timelines=asked))

    @extend_schema(
        request=MarkersSaveSerializer, responses={200: dict}, operation_id="markers_save"
    )
    def post(self, request):
        form = MarkersSaveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return _markers_response(
            services.markers_save(account=request.user, positions=form.validated_data)
        )
