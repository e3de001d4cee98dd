"""Watch time: ``POST /api/agora/v1/statuses/:id/watch``, a player's heartbeat.

The signed-in account watched ``seconds`` more of the status's video (or gifv, or
audio) since its last heartbeat; the answer is its total for the status today (UTC)
and what this heartbeat added (:func:`apps.feed.services.status_watch_record`).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.feed import selectors, services
from core.permissions import HasScope, HasUser


class StatusWatchHeartbeatSerializer(serializers.Serializer):
    """Input: ``{"seconds": N}``, N from 1 to ``FEED_WATCH_HEARTBEAT_MAX_SECONDS``."""

    def get_fields(self):
        # Built per use, so the maximum is the setting in force (and the schema shows it).
        fields = super().get_fields()
        fields["seconds"] = serializers.IntegerField(
            min_value=1,
            max_value=settings.FEED_WATCH_HEARTBEAT_MAX_SECONDS,
            help_text=_("Seconds watched since the player's last heartbeat for this status."),
        )
        return fields


class StatusWatchSerializer(serializers.Serializer):
    """Output: the viewer's total for the status today (UTC), and what the heartbeat added."""

    seconds = serializers.IntegerField(
        min_value=0,
        help_text=_("The viewer's seconds counted for this status today (UTC); 0 for its author."),
    )
    counted = serializers.IntegerField(
        min_value=0, help_text=_("The seconds this heartbeat added (0 when it added none).")
    )


class StatusWatchView(APIView):
    """``POST /api/agora/v1/statuses/:id/watch``: 404 for a status the viewer may not see,
    422 for bad input or a status without processed video, gifv or audio."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"POST": "read:statuses"}

    @extend_schema(request=StatusWatchHeartbeatSerializer, responses=StatusWatchSerializer)
    def post(self, request, status_id: int):
        status = selectors.status_get_for_watching(viewer=request.user, status_id=status_id)
        form = StatusWatchHeartbeatSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        recorded = services.status_watch_record(
            viewer=request.user, status=status, seconds=form.validated_data["seconds"]
        )
        return Response(StatusWatchSerializer(recorded).data)
