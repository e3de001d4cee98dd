"""Mastodon's MediaAttachment entity, with Agora's processing details beside it."""

from __future__ import annotations

from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.media.models import MediaAttachment, MediaType, ProcessingState
from core.base_url import absolute_url

# Keyed by the type as stored, a plain string: each MediaType equals and hashes as its value.
URL_RENDITION: dict[str, str] = {
    MediaType.IMAGE: "original",
    MediaType.GIFV: "mp4",
    MediaType.VIDEO: "mp4",
    MediaType.AUDIO: "audio",
}
PREVIEW_RENDITION: dict[str, str] = {
    MediaType.IMAGE: "small",
    MediaType.GIFV: "poster",
    MediaType.VIDEO: "poster",
}


def file_url(media: MediaAttachment, rendition: str | None) -> str | None:
    """The public URL of one rendition on the instance's base URL (``None`` until it exists)."""
    name = media.files.get(rendition) if rendition else None
    if not name or not media.is_ready:
        return None
    return absolute_url(default_storage.url(name))


class MediaAgoraSerializer(serializers.Serializer):
    """Agora's extension: the HLS master playlist and where processing stands."""

    hls_url = serializers.CharField(allow_null=True)
    state = serializers.ChoiceField(choices=ProcessingState.choices)
    progress = serializers.IntegerField()
    job_id = serializers.CharField(allow_null=True)
    error = serializers.CharField(allow_null=True)


class MediaAttachmentSerializer(serializers.ModelSerializer):
    """Mastodon's MediaAttachment, its URLs on the instance's base URL (core.base_url)."""

    id = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()
    remote_url = serializers.SerializerMethodField()
    preview_remote_url = serializers.SerializerMethodField()
    text_url = serializers.SerializerMethodField()
    meta = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    blurhash = serializers.SerializerMethodField()
    agora = serializers.SerializerMethodField()

    class Meta:
        model = MediaAttachment
        fields = [
            "id", "type", "url", "preview_url", "remote_url", "preview_remote_url",
            "text_url", "meta", "description", "blurhash", "agora",
        ]  # fmt: skip

    def get_url(self, media) -> str | None:
        return file_url(media, URL_RENDITION.get(media.type))

    def get_preview_url(self, media) -> str | None:
        rendition = "thumbnail" if "thumbnail" in media.files else PREVIEW_RENDITION.get(media.type)
        return file_url(media, rendition)

    def get_remote_url(self, media) -> str | None:
        return None

    def get_preview_remote_url(self, media) -> str | None:
        return None

    def get_text_url(self, media) -> str | None:
        return None

    @extend_schema_field({"type": "object", "nullable": True})
    def get_meta(self, media):
        if not media.meta:
            return None
        meta = dict(media.meta)
        meta.pop("renditions", None)
        meta["focus"] = {"x": media.focus_x, "y": media.focus_y}
        return meta

    def get_description(self, media) -> str | None:
        return media.description or None

    def get_blurhash(self, media) -> str | None:
        return media.blurhash or None

    @extend_schema_field(MediaAgoraSerializer)
    def get_agora(self, media):
        # Ready media reads no job row (Status lists render many attachments).
        if media.is_ready:
            progress = 100
        else:
            progress = media.job.progress if media.job_id else 0
        return {
            "hls_url": file_url(media, "hls"),
            "state": media.state,
            "progress": progress,
            "job_id": str(media.job_id) if media.job_id else None,
            "error": media.failure_reason or None,
        }


class MediaCreateSerializer(serializers.Serializer):
    """Input of ``POST /api/v2/media``."""

    file = serializers.FileField(allow_empty_file=True, use_url=False)
    thumbnail = serializers.FileField(required=False, allow_null=True, use_url=False)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    focus = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)


class MediaUpdateSerializer(serializers.Serializer):
    """Input of ``PUT /api/v1/media/:id``."""

    description = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, trim_whitespace=False
    )
    focus = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    thumbnail = serializers.FileField(required=False, allow_null=True, use_url=False)


class UploadCreateSerializer(serializers.Serializer):
    """Input of ``POST /api/agora/v1/uploads``."""

    size = serializers.IntegerField(min_value=1)
    type = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    checksum = serializers.RegexField(
        r"^(sha256:)?[0-9a-fA-F]{64}$", help_text="SHA-256 of the whole file, hex"
    )
    description = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )


class UploadPartSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    url = serializers.CharField()


class UploadSerializer(serializers.Serializer):
    """A resumable upload and, with S3 storage, presigned part URLs."""

    id = serializers.CharField()
    size = serializers.IntegerField()
    offset = serializers.IntegerField()
    state = serializers.CharField()
    chunk_size = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    media_id = serializers.CharField(allow_null=True)
    parts = UploadPartSerializer(many=True, required=False)

    def to_representation(self, upload):
        answer = {
            "id": str(upload.pk),
            "size": upload.size,
            "offset": upload.offset,
            "state": upload.state,
            "chunk_size": upload.part_size,
            "expires_at": serializers.DateTimeField().to_representation(upload.expires_at),
            "media_id": str(upload.media_id) if upload.media_id else None,
        }
        parts = self.context.get("parts")
        if parts is not None:
            answer["parts"] = parts
        return answer
