"""``/api/v1/instance/peers`` and ``/api/v1/instance/activity``: what Mastodon apps show
about the instance beside ``/api/v2/instance`` (whose counts of statuses live here, in the
feed)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.feed.selectors.instance import instance_activity


class InstancePeersView(APIView):
    """``GET /api/v1/instance/peers``: the domains this instance knows. Agora does not
    federate, so it knows none, and says so with the empty list Mastodon's clients expect."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: {"type": "array", "items": {"type": "string"}}})
    def get(self, request: Request) -> Response:
        return Response([])


class InstanceActivityView(APIView):
    """``GET /api/v1/instance/activity``: 12 weeks of statuses, sign-ins and sign-ups."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "InstanceActivityWeek",
            {
                "week": serializers.CharField(),
                "statuses": serializers.CharField(),
                "logins": serializers.CharField(),
                "registrations": serializers.CharField(),
            },
            many=True,
        )
    )
    def get(self, request: Request) -> Response:
        # Mastodon sends every number as a string.
        return Response(
            [
                {
                    "week": str(week.week),
                    "statuses": str(week.statuses),
                    "logins": str(week.logins),
                    "registrations": str(week.registrations),
                }
                for week in instance_activity()
            ]
        )
