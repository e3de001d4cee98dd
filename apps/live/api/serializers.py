"""Live's entities in the platform API."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.live.models import Stream
from apps.live.models.streams import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from apps.live.services.playback import playback_hls_url
from apps.media.api.serializers import MediaAttachmentSerializer

CHAT_MESSAGE_MAX_LENGTH = 500


class ChatSettingsSerializer(serializers.Serializer):
    """The stream's chat rules (:mod:`apps.live.services.chat_settings` enforces them)."""

    max_length = serializers.IntegerField(
        min_value=1, max_value=CHAT_MESSAGE_MAX_LENGTH, default=CHAT_MESSAGE_MAX_LENGTH
    )
    rate_limit_messages = serializers.IntegerField(min_value=1, max_value=100, required=False)
    rate_limit_seconds = serializers.IntegerField(min_value=1, max_value=3600, required=False)
    slow_mode_seconds = serializers.IntegerField(min_value=0, max_value=3600, default=0)
    followers_only_minutes = serializers.IntegerField(
        min_value=0, max_value=60 * 24 * 365, allow_null=True, default=None
    )
    subscribers_only = serializers.BooleanField(default=False)
    min_account_age_days = serializers.IntegerField(
        min_value=0, max_value=3650, allow_null=True, default=None
    )
    emoji_only = serializers.BooleanField(default=False)
    established_only = serializers.BooleanField(default=False)


class StreamCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, default=""
    )
    visibility = serializers.ChoiceField(
        choices=Stream.Visibility.choices, default=Stream.Visibility.PUBLIC
    )
    chat_settings = ChatSettingsSerializer(required=False)


class PlaybackSerializer(serializers.Serializer):
    hls_url = serializers.SerializerMethodField()

    @extend_schema_field(
        serializers.URLField(
            allow_null=True,
            help_text="The master playlist: plain for public and unlisted streams, signed "
            "and short-lived for followers and subscribers ones (null while this server "
            "signs none).",
        )
    )
    def get_hls_url(self, stream: Stream) -> str | None:
        return playback_hls_url(stream=stream)


class IngestSerializer(serializers.Serializer):
    """Where and with what the encoder pushes; the key is shown only in this answer."""

    rtmp_url = serializers.SerializerMethodField()
    stream_key = serializers.SerializerMethodField()

    def get_rtmp_url(self, stream: Stream) -> str:
        return settings.LIVE_RTMP_URL

    def get_stream_key(self, stream: Stream) -> str:
        return self.context["stream_key"]


class ReplaySerializer(serializers.Serializer):
    """The stream's replay: the recording as a media attachment (HLS ladder, MP4, poster)."""

    state = serializers.CharField(source="replay.state", read_only=True)
    hidden = serializers.BooleanField(
        source="replay_hidden",
        read_only=True,
        help_text=_("Moderation hid the replay: only the streamer sees it."),
    )
    media_attachment = serializers.SerializerMethodField()

    @extend_schema_field(MediaAttachmentSerializer(allow_null=True))
    def get_media_attachment(self, stream: Stream) -> dict | None:
        media = stream.replay
        if media is None or not media.is_ready:
            return None
        return MediaAttachmentSerializer(media, context=self.context).data


class StreamSerializer(serializers.ModelSerializer):
    """A stream as anybody allowed to see it sees it: never its key."""

    id = serializers.CharField(read_only=True)
    account_id = serializers.CharField(read_only=True)
    chat_settings = ChatSettingsSerializer(read_only=True)
    playback = PlaybackSerializer(source="*", read_only=True)
    replay = serializers.SerializerMethodField()
    viewers = serializers.SerializerMethodField()

    class Meta:
        model = Stream
        fields = [
            "id",
            "account_id",
            "title",
            "description",
            "visibility",
            "state",
            "chat_settings",
            "created_at",
            "started_at",
            "ended_at",
            "peak_viewers",
            "unique_viewers",
            "viewers",
            "playback",
            "replay",
        ]
        read_only_fields = fields

    @extend_schema_field(ReplaySerializer(allow_null=True))
    def get_replay(self, stream: Stream) -> dict | None:
        """Null until the recording went through the media pipeline, after it was removed,
        and, for all but the streamer, while moderation hides it."""
        if stream.replay_id is None:
            return None
        if stream.replay_hidden:
            # The views name who asks (``viewer_id``: None when anonymous).
            if self.context.get("viewer_id") != stream.account_id:
                return None
        return ReplaySerializer(stream, context=self.context).data

    def get_viewers(self, stream: Stream) -> int:
        """Viewers watching now: from the context's ``viewers`` (stream id -> count,
        :func:`apps.live.services.viewers.viewers_now`); 0 unless live."""
        if stream.state != Stream.State.LIVE:
            return 0
        return self.context.get("viewers", {}).get(stream.pk, 0)


class StreamWithKeySerializer(StreamSerializer):
    """The stream as its owner sees it once, on creation or a key rotation: with its key."""

    ingest = IngestSerializer(source="*", read_only=True)

    class Meta(StreamSerializer.Meta):
        fields = [*StreamSerializer.Meta.fields, "ingest"]
        read_only_fields = fields
