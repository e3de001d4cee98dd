"""``POST /api/agora/v1/live/streams/:id/heartbeat``: a player is playing the stream.

Players send one every ~15 s while playing. A signed-in viewer is counted by its account
(and its watch time grows); an anonymous player of a stream anybody may see sends
``viewer_id``, a random id it made up once and keeps (:mod:`apps.live.services.viewers`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.live import selectors
from apps.live.services import viewers
from core.api.schema import error_response
from core.permissions import HasScope


class HeartbeatSerializer(serializers.Serializer):
    """Input: an anonymous player's ``viewer_id`` (ignored for a signed-in viewer)."""

    viewer_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_("An anonymous player's own random id (8 to 64 of A-Z a-z 0-9 - _)."),
    )


class HeartbeatAnswerSerializer(serializers.Serializer):
    viewers = serializers.IntegerField(min_value=0, help_text=_("Viewers watching now."))
    watched_seconds = serializers.IntegerField(
        min_value=0,
        help_text=_("The signed-in viewer's watch time of the stream today (UTC); else 0."),
    )
    counted = serializers.IntegerField(
        min_value=0, help_text=_("Seconds this heartbeat added to it.")
    )


class StreamHeartbeatView(APIView):
    """404 for a stream the viewer may not see, 409 when it is not live, 422 for an
    anonymous player without a valid ``viewer_id``."""

    permission_classes = [HasScope]
    required_scopes = {"POST": "read:statuses"}

    @extend_schema(
        operation_id="live_stream_heartbeat",
        request=HeartbeatSerializer,
        responses={
            200: HeartbeatAnswerSerializer,
            409: error_response("The stream is not live."),
        },
    )
    def post(self, request, stream_id: int):
        stream = selectors.stream_get_for_viewer(viewer=request.user, stream_id=stream_id)
        form = HeartbeatSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        beat = viewers.stream_heartbeat(
            stream=stream, viewer=request.user, anonymous_id=form.validated_data.get("viewer_id")
        )
        return Response(HeartbeatAnswerSerializer(beat).data)
