"""The chat in the platform API: what the socket does, over HTTP. Thin: services decide.

Under ``/api/agora/v1/live/streams/:id/chat/``: ``messages`` (read the latest, post one),
``messages/:message_id`` (delete), ``timeouts`` (time an account out), ``settings`` (change
the rules live). Under ``/api/agora/v1/live/channel/``: ``moderators`` (the streamer's own
channel) and ``bans`` (the streamer's, or with ``channel_id`` a channel one moderates).
Reading needs ``read:statuses`` (or nothing, on a stream anybody may see); everything else
``write:statuses``. Every refusal is the same as the socket's, as Mastodon's error entity.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.live import selectors
from apps.live.models import ChannelBan, ChannelModerator
from apps.live.services import chat
from core import errors
from core.api.schema import error_response
from core.ids import parse_id
from core.permissions import HasScope, HasUser, HasUserToWrite

READ, WRITE = "read:statuses", "write:statuses"
STREAM_ENDED = error_response("The stream has ended: its chat is closed.")


class ChatAccountSerializer(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class ChatMessageSerializer(serializers.Serializer):
    """A chat message as the socket's ``message`` event carries it."""

    id = serializers.CharField()
    stream_id = serializers.CharField()
    account = ChatAccountSerializer()
    text = serializers.CharField()
    reply_to_id = serializers.CharField(allow_null=True)
    created_at = serializers.CharField()


class ChatReplayMessageSerializer(ChatMessageSerializer):
    """A message of a replayed chat: ``offset`` is when it was said, in seconds into the stream."""

    offset = serializers.FloatField()


class ChatMessageCreateSerializer(serializers.Serializer):
    # Length and emptiness are the chat's rules (the stream's max_length), checked by the service.
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    reply_to_id = serializers.CharField(required=False, allow_null=True)


class ChatRulesSerializer(serializers.Serializer):
    """The rules in force in a stream's chat (what ``mode`` events carry)."""

    max_length = serializers.IntegerField()
    rate_limit_messages = serializers.IntegerField()
    rate_limit_seconds = serializers.IntegerField()
    slow_mode_seconds = serializers.IntegerField()
    followers_only_minutes = serializers.IntegerField(allow_null=True)
    subscribers_only = serializers.BooleanField()
    min_account_age_days = serializers.IntegerField(allow_null=True)
    emoji_only = serializers.BooleanField()
    established_only = serializers.BooleanField()


class ChatRulesChangeSerializer(serializers.Serializer):
    """Any of the rules; the others stay. Checked by ``chat_settings_clean``."""

    max_length = serializers.IntegerField(required=False)
    rate_limit_messages = serializers.IntegerField(required=False)
    rate_limit_seconds = serializers.IntegerField(required=False)
    slow_mode_seconds = serializers.IntegerField(required=False)
    followers_only_minutes = serializers.IntegerField(required=False, allow_null=True)
    subscribers_only = serializers.BooleanField(required=False)
    min_account_age_days = serializers.IntegerField(required=False, allow_null=True)
    emoji_only = serializers.BooleanField(required=False)
    established_only = serializers.BooleanField(required=False)


class TimeoutCreateSerializer(serializers.Serializer):
    account_id = serializers.CharField()
    seconds = serializers.IntegerField(min_value=1, max_value=chat.TIMEOUT_MAX_SECONDS)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class TimeoutSerializer(serializers.Serializer):
    account_id = serializers.CharField()
    until = serializers.DateTimeField()
    reason = serializers.CharField()


class ModeratorCreateSerializer(serializers.Serializer):
    account_id = serializers.CharField()


class ChannelModeratorSerializer(serializers.Serializer):
    account = ChatAccountSerializer()
    created_at = serializers.DateTimeField()


class BanCreateSerializer(serializers.Serializer):
    account_id = serializers.CharField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    channel_id = serializers.CharField(
        required=False, help_text="The channel (streamer's account id); yours by default."
    )


class ChannelBanSerializer(serializers.Serializer):
    channel_id = serializers.CharField()
    account_id = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


def _account_dict(account) -> dict:
    return {
        "id": str(account.pk),
        "username": account.username,
        "display_name": account.display_name or account.username,
    }


def _id_of(raw, field: str) -> int:
    parsed = parse_id(raw)
    if parsed is None:
        raise errors.Invalid({field: [_("is not an id")]})
    return parsed


def _channel_of(request, raw) -> int:
    """The channel named by ``channel_id`` (the caller's own when absent)."""
    return request.user.pk if raw in (None, "") else _id_of(raw, "channel_id")


def _stream(request, stream_id: int):
    return chat.chat_stream_for_reader(viewer=request.user, stream_id=stream_id)


REPLAY_WINDOW_MAX_SECONDS = 3600
REPLAY_LIMIT_MAX = 500


def _seconds(request, name: str, default: float | None) -> float:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        if default is None:
            raise errors.Invalid({name: [_("is required")]})
        return default
    try:
        value = float(raw)
    except ValueError:
        raise errors.Invalid({name: [_("must be a number of seconds")]}) from None
    if not 0 <= value < 7 * 24 * 3600 or value != value:
        raise errors.Invalid({name: [_("must be between 0 and a week")]})
    return value


class ChatReplayView(APIView):
    """``GET .../chat/replay?from=&to=``: the chat beside a replay, by its time in the stream.

    Messages said from ``from`` to before ``to`` seconds after the stream went live (at most
    an hour at a time, at most ``limit``), oldest first, each with its ``offset``; a player
    asks for the next window as it plays. Hidden and removed messages stay hidden.
    """

    permission_classes = [HasScope]
    required_scopes = {"GET": READ}

    @extend_schema(
        operation_id="live_chat_replay",
        parameters=[
            OpenApiParameter("from", float, description="Seconds into the stream (default 0)."),
            OpenApiParameter(
                "to", float, description="Seconds into the stream (default from + 60)."
            ),
            OpenApiParameter(
                "limit", int, description="At most this many (500 at most, 200 by default)."
            ),
        ],
        responses=ChatReplayMessageSerializer(many=True),
    )
    def get(self, request, stream_id: int):
        stream = _stream(request, stream_id)
        start = _seconds(request, "from", 0.0)
        end = _seconds(request, "to", start + 60)
        if end <= start:
            raise errors.Invalid({"to": [_("must be after from")]})
        if end - start > REPLAY_WINDOW_MAX_SECONDS:
            raise errors.Invalid({"to": [_("at most an hour after from")]})
        limit_raw = request.query_params.get("limit") or "200"
        if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= REPLAY_LIMIT_MAX:
            raise errors.Invalid({"limit": [_("must be between 1 and 500")]})
        messages = selectors.chat_replay(stream=stream, start=start, end=end, limit=int(limit_raw))
        return Response(
            [
                {
                    **chat.chat_message_payload(message),
                    "offset": round((message.created_at - stream.started_at).total_seconds(), 3),
                }
                for message in messages
            ]
        )


class ChatMessagesView(APIView):
    """``GET`` the latest visible messages (oldest first); ``POST`` one."""

    permission_classes = [HasScope, HasUserToWrite]
    required_scopes = {"GET": READ, "POST": WRITE}

    @extend_schema(
        operation_id="live_chat_messages",
        parameters=[
            OpenApiParameter("max_id", str, description="Only messages older than this one."),
            OpenApiParameter("limit", int, description="At most this many (50 at most)."),
        ],
        responses=ChatMessageSerializer(many=True),
    )
    def get(self, request, stream_id: int):
        stream = _stream(request, stream_id)
        max_id = request.query_params.get("max_id")
        limit_raw = request.query_params.get("limit") or "50"
        if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= 50:
            raise errors.Invalid({"limit": [_("must be between 1 and 50")]})
        messages = selectors.chat_messages_recent(
            stream_id=stream.pk,
            limit=int(limit_raw),
            max_id=None if not max_id else _id_of(max_id, "max_id"),
        )
        return Response([chat.chat_message_payload(message) for message in messages])

    @extend_schema(
        operation_id="live_chat_message_create",
        request=ChatMessageCreateSerializer,
        responses={200: ChatMessageSerializer, 409: STREAM_ENDED},
    )
    def post(self, request, stream_id: int):
        form = ChatMessageCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        reply_to = form.validated_data.get("reply_to_id")
        message = chat.chat_message_post(
            author=request.user,
            stream_id=stream_id,
            text=form.validated_data["text"],
            reply_to_id=None if reply_to in (None, "") else _id_of(reply_to, "reply_to_id"),
        )
        return Response(chat.chat_message_payload(message))


class ChatMessageDetailView(APIView):
    """``DELETE``: the streamer, a channel moderator or its author removes a message."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"DELETE": WRITE}

    @extend_schema(operation_id="live_chat_message_delete", responses={200: ChatMessageSerializer})
    def delete(self, request, stream_id: int, message_id: int):
        stream = _stream(request, stream_id)
        message = chat.chat_message_delete(actor=request.user, stream=stream, message_id=message_id)
        return Response(chat.chat_message_payload(message))


class ChatTimeoutsView(APIView):
    """``POST``: keep an account quiet in the stream's channel for a while."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"POST": WRITE}

    @extend_schema(
        operation_id="live_chat_timeout_create",
        request=TimeoutCreateSerializer,
        responses=TimeoutSerializer,
    )
    def post(self, request, stream_id: int):
        stream = _stream(request, stream_id)
        form = TimeoutCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        timeout = chat.chat_timeout(
            actor=request.user,
            stream=stream,
            account_id=_id_of(data["account_id"], "account_id"),
            seconds=data["seconds"],
            reason=data["reason"],
        )
        return Response(
            TimeoutSerializer(
                {
                    "account_id": str(timeout.account_id),
                    "until": timeout.until,
                    "reason": timeout.reason,
                }
            ).data
        )


class ChatSettingsView(APIView):
    """``GET`` the rules in force; ``PATCH`` some of them (the streamer and its moderators)."""

    permission_classes = [HasScope, HasUserToWrite]
    required_scopes = {"GET": READ, "PATCH": WRITE}

    @extend_schema(operation_id="live_chat_settings", responses=ChatRulesSerializer)
    def get(self, request, stream_id: int):
        stream = _stream(request, stream_id)
        return Response(chat.chat_rules(stream).as_dict())

    @extend_schema(
        operation_id="live_chat_settings_update",
        request=ChatRulesChangeSerializer,
        responses={200: ChatRulesSerializer, 409: STREAM_ENDED},
    )
    def patch(self, request, stream_id: int):
        stream = _stream(request, stream_id)
        # The service checks every field, types included, as it does for the socket's raw JSON.
        changes = dict(request.data.items()) if isinstance(request.data, dict) else request.data
        return Response(chat.chat_mode(actor=request.user, stream=stream, changes=changes))


class ChannelModeratorsView(APIView):
    """``GET`` the caller's channel moderators; ``POST`` appoint one."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"GET": READ, "POST": WRITE}

    @extend_schema(
        operation_id="live_channel_moderators", responses=ChannelModeratorSerializer(many=True)
    )
    def get(self, request):
        rows = ChannelModerator.objects.filter(channel=request.user).select_related("moderator")
        return Response(
            [
                ChannelModeratorSerializer(
                    {"account": _account_dict(row.moderator), "created_at": row.created_at}
                ).data
                for row in rows.order_by("created_at")
            ]
        )

    @extend_schema(
        operation_id="live_channel_moderator_create",
        request=ModeratorCreateSerializer,
        responses=ChannelModeratorSerializer,
    )
    def post(self, request):
        form = ModeratorCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        row = chat.channel_moderator_add(
            actor=request.user,
            channel_id=request.user.pk,
            account_id=_id_of(form.validated_data["account_id"], "account_id"),
        )
        moderator = get_user_model().objects.get(pk=row.moderator_id)
        return Response(
            ChannelModeratorSerializer(
                {"account": _account_dict(moderator), "created_at": row.created_at}
            ).data
        )


class ChannelModeratorDetailView(APIView):
    """``DELETE``: dismiss a moderator of the caller's channel."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"DELETE": WRITE}

    @extend_schema(operation_id="live_channel_moderator_delete", responses={200: None})
    def delete(self, request, account_id: int):
        if not chat.channel_moderator_remove(
            actor=request.user, channel_id=request.user.pk, account_id=account_id
        ):
            raise errors.NotFound(_("Record not found"))
        return Response({})


def _ban_dict(ban: ChannelBan) -> dict:
    return {
        "channel_id": str(ban.channel_id),
        "account_id": str(ban.account_id),
        "reason": ban.reason,
        "created_at": ban.created_at,
    }


CHANNEL_PARAMETER = OpenApiParameter(
    "channel_id", str, description="The channel (streamer's account id); yours by default."
)


class ChannelBansView(APIView):
    """``GET`` a channel's bans; ``POST`` ban an account from all of its streams."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"GET": READ, "POST": WRITE}

    @extend_schema(
        operation_id="live_channel_bans",
        parameters=[CHANNEL_PARAMETER],
        responses=ChannelBanSerializer(many=True),
    )
    def get(self, request):
        channel_id = _channel_of(request, request.query_params.get("channel_id"))
        if not selectors.chat_may_moderate(account=request.user, channel_id=channel_id):
            raise errors.Forbidden(
                _("Only the streamer and its channel moderators may do this."),
                code="not_moderator",
            )
        bans = ChannelBan.objects.filter(channel_id=channel_id).order_by("-created_at")
        return Response(ChannelBanSerializer([_ban_dict(ban) for ban in bans], many=True).data)

    @extend_schema(
        operation_id="live_channel_ban_create",
        request=BanCreateSerializer,
        responses=ChannelBanSerializer,
    )
    def post(self, request):
        form = BanCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        ban = chat.chat_ban(
            actor=request.user,
            channel_id=_channel_of(request, data.get("channel_id")),
            account_id=_id_of(data["account_id"], "account_id"),
            reason=data["reason"],
        )
        return Response(ChannelBanSerializer(_ban_dict(ban)).data)


class ChannelBanDetailView(APIView):
    """``DELETE``: lift a ban (``channel_id`` as for the list)."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"DELETE": WRITE}

    @extend_schema(
        operation_id="live_channel_ban_delete",
        parameters=[CHANNEL_PARAMETER],
        responses={200: None},
    )
    def delete(self, request, account_id: int):
        channel_id = _channel_of(request, request.query_params.get("channel_id"))
        if not chat.chat_unban(actor=request.user, channel_id=channel_id, account_id=account_id):
            raise errors.NotFound(_("Record not found"))
        return Response({})
