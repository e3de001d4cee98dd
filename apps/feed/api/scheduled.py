"""Mastodon's scheduled statuses: ``/api/v1/scheduled_statuses`` and ``/:id``.

``POST /api/v1/statuses`` with ``scheduled_at`` answers with the entity below
(see ``StatusCreateView``); these endpoints list, reschedule and cancel them.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.feed import selectors, services
from apps.feed.api.serializers import EmptySerializer
from apps.feed.models import ScheduledStatus
from core.api.pagination import paged_response
from core.pagination import page_params
from core.permissions import HasScope, HasUser


class ScheduledStatusParamsSerializer(serializers.Serializer):
    """The parameters the status will be published with (Mastodon's ``params``)."""

    text = serializers.CharField()
    poll = serializers.JSONField(allow_null=True)
    media_ids = serializers.ListField(child=serializers.CharField(), allow_null=True)
    sensitive = serializers.BooleanField(allow_null=True)
    spoiler_text = serializers.CharField(allow_null=True)
    visibility = serializers.CharField()
    scheduled_at = serializers.DateTimeField(allow_null=True)
    in_reply_to_id = serializers.CharField(allow_null=True)
    language = serializers.CharField(allow_null=True)
    application_id = serializers.IntegerField(allow_null=True)
    idempotency = serializers.CharField(allow_null=True)
    with_rate_limit = serializers.BooleanField()


class ScheduledStatusSerializer(serializers.ModelSerializer):
    """Mastodon's ScheduledStatus entity."""

    id = serializers.CharField(read_only=True)
    scheduled_at = serializers.DateTimeField(read_only=True)
    params = ScheduledStatusParamsSerializer(read_only=True)
    media_attachments = serializers.SerializerMethodField()

    class Meta:
        model = ScheduledStatus
        fields = ["id", "scheduled_at", "params", "media_attachments"]

    def get_media_attachments(self, scheduled: ScheduledStatus) -> list[dict]:
        return []


class ScheduledStatusUpdateSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField()


class ScheduledStatusListView(APIView):
    permission_classes = [HasScope, HasUser]
    required_scopes = {"GET": "read:statuses"}

    @extend_schema(responses=ScheduledStatusSerializer(many=True))
    def get(self, request):
        params = page_params(request)
        rows = selectors.scheduled_statuses_page(owner=request.user, params=params)
        data = ScheduledStatusSerializer(rows, many=True).data
        return paged_response(request, data, rows=rows, params=params)


class ScheduledStatusDetailView(APIView):
    permission_classes = [HasScope, HasUser]
    required_scopes = {
        "GET": "read:statuses",
        "PUT": "write:statuses",
        "DELETE": "write:statuses",
    }

    def _owned(self, request, scheduled_status_id) -> ScheduledStatus:
        return selectors.scheduled_status_get_for_owner(
            owner=request.user, scheduled_status_id=scheduled_status_id
        )

    @extend_schema(responses=ScheduledStatusSerializer)
    def get(self, request, scheduled_status_id: int):
        return Response(ScheduledStatusSerializer(self._owned(request, scheduled_status_id)).data)

    @extend_schema(request=ScheduledStatusUpdateSerializer, responses=ScheduledStatusSerializer)
    def put(self, request, scheduled_status_id: int):
        scheduled = self._owned(request, scheduled_status_id)
        form = ScheduledStatusUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        scheduled = services.scheduled_status_reschedule(
            scheduled_status=scheduled,
            owner=request.user,
            scheduled_at=form.validated_data["scheduled_at"],
        )
        return Response(ScheduledStatusSerializer(scheduled).data)

    @extend_schema(responses={200: EmptySerializer})
    def delete(self, request, scheduled_status_id: int):
        scheduled = self._owned(request, scheduled_status_id)
        services.scheduled_status_cancel(scheduled_status=scheduled, owner=request.user)
        return Response({})
