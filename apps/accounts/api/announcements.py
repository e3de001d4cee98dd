"""Instance-wide notices and emojis: ``/api/v1/announcements`` and ``/api/v1/custom_emojis``.

Mastodon's AnnouncementsController, Announcements::ReactionsController and
CustomEmojisController. Announcements are written and published by operators in the
admin; accounts read them, dismiss them and react to them with emojis.
"""

from __future__ import annotations

from typing import Any, cast

from django.utils.html import escape, linebreaks
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors, services
from apps.accounts.models import Announcement, User
from core.api.schema import error_response
from core.permissions import HasScope, HasUser


class CustomEmojiSerializer(serializers.Serializer):
    shortcode = serializers.CharField()
    url = serializers.URLField()
    static_url = serializers.URLField()
    visible_in_picker = serializers.BooleanField()
    category = serializers.CharField(allow_null=True)


class ReactionSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField()
    me = serializers.BooleanField()
    url = serializers.URLField(required=False)
    static_url = serializers.URLField(required=False)


class AnnouncementSerializer(serializers.Serializer):
    """Mastodon's Announcement entity; context: ``reactions`` (id -> counts) and ``emojis``."""

    id = serializers.CharField()
    content = serializers.CharField()
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    all_day = serializers.BooleanField()
    published_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    read = serializers.BooleanField()
    mentions = serializers.ListField(child=serializers.DictField())
    statuses = serializers.ListField(child=serializers.DictField())
    tags = serializers.ListField(child=serializers.DictField())
    emojis = CustomEmojiSerializer(many=True)
    reactions = ReactionSerializer(many=True)

    def to_representation(self, announcement: Announcement) -> dict[str, Any]:
        table: selectors.EmojiTable = self.context["emojis"]
        counts = self.context["reactions"].get(announcement.pk, [])
        reactions = []
        for reaction in counts:
            entry: dict[str, Any] = {
                "name": reaction.name,
                "count": reaction.count,
                "me": reaction.me,
            }
            if reaction.custom_emoji is not None:
                entry["url"] = reaction.custom_emoji["url"]
                entry["static_url"] = reaction.custom_emoji["static_url"]
            reactions.append(entry)
        return {
            "id": str(announcement.pk),
            "content": linebreaks(escape(announcement.text)),
            "starts_at": _iso(announcement.starts_at),
            "ends_at": _iso(announcement.ends_at),
            "all_day": announcement.all_day,
            "published_at": _iso(announcement.published_at or announcement.created_at),
            "updated_at": _iso(announcement.updated_at),
            "read": bool(getattr(announcement, "read", False)),
            "mentions": [],
            "statuses": [],
            "tags": [],
            "emojis": table.used_in(announcement.text),
            "reactions": reactions,
        }


def _iso(moment) -> str | None:
    return serializers.DateTimeField().to_representation(moment) if moment else None


class CustomEmojisView(APIView):
    """``GET /api/v1/custom_emojis``: the instance's enabled custom emojis (no sign-in needed)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=CustomEmojiSerializer(many=True), operation_id="custom_emojis")
    def get(self, request: Request) -> Response:
        return Response(selectors.custom_emoji_list())


class AnnouncementsView(APIView):
    """``GET /api/v1/announcements``: what the operators announce, newest first."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"GET": "read"}

    @extend_schema(
        parameters=[OpenApiParameter("with_dismissed", OpenApiTypes.BOOL)],
        responses=AnnouncementSerializer(many=True),
        operation_id="announcements",
    )
    def get(self, request: Request) -> Response:
        viewer = cast(User, request.user)
        with_dismissed = str(request.query_params.get("with_dismissed", "")).lower() in (
            "1",
            "true",
        )
        announcements = list(
            selectors.active_announcements(viewer=viewer, with_dismissed=with_dismissed)
        )
        context = {
            "emojis": selectors.custom_emoji_table(),
            "reactions": selectors.announcement_reactions(
                announcement_ids=[a.pk for a in announcements], viewer=viewer
            ),
        }
        return Response(AnnouncementSerializer(announcements, many=True, context=context).data)


class AnnouncementDismissView(APIView):
    """``POST /api/v1/announcements/:id/dismiss``: mark it read."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"POST": "write:accounts"}

    @extend_schema(
        request=None,
        responses={200: OpenApiTypes.OBJECT, 404: error_response("No such announcement")},
        operation_id="announcement_dismiss",
    )
    def post(self, request: Request, announcement_id: int) -> Response:
        services.dismiss_announcement(
            account=cast(User, request.user), announcement_id=announcement_id
        )
        return Response({})


class AnnouncementReactionView(APIView):
    """``PUT``/``DELETE /api/v1/announcements/:id/reactions/:name``: react with an emoji."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"PUT": "write:favourites", "DELETE": "write:favourites"}

    @extend_schema(
        request=None,
        responses={
            200: OpenApiTypes.OBJECT,
            404: error_response("No such announcement"),
            422: error_response("Not an emoji, or too many different reactions"),
        },
        operation_id="announcement_react",
    )
    def put(self, request: Request, announcement_id: int, name: str) -> Response:
        services.react_to_announcement(
            account=cast(User, request.user), announcement_id=announcement_id, name=name
        )
        return Response({})

    @extend_schema(
        request=None,
        responses={200: OpenApiTypes.OBJECT, 404: error_response("No such announcement")},
        operation_id="announcement_unreact",
    )
    def delete(self, request: Request, announcement_id: int, name: str) -> Response:
        services.remove_announcement_reaction(
            account=cast(User, request.user), announcement_id=announcement_id, name=name
        )
        return Response({})
