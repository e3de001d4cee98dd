"""Media attachments and resumable uploads.

Media sits below the feed: a status attaches media by writing its id into
``MediaAttachment.status_id`` (a plain integer, no foreign key to the feed), so
this app never imports the feed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import PublicModel


class MediaType(models.TextChoices):
    """Mastodon's MediaAttachment ``type``."""

    IMAGE = "image", _("image")
    GIFV = "gifv", _("animated image")
    VIDEO = "video", _("video")
    AUDIO = "audio", _("audio")
    UNKNOWN = "unknown", _("unknown")


class ProcessingState(models.TextChoices):
    PENDING = "pending", _("waiting for processing")
    PROCESSING = "processing", _("processing")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


class MediaAttachmentQuerySet(models.QuerySet):
    def unattached(self) -> MediaAttachmentQuerySet:
        """Media no status attached and nothing else keeps (see ``kept_by``)."""
        return self.filter(status_id__isnull=True, kept_by="")

    def for_statuses(self, status_ids) -> MediaAttachmentQuerySet:
        """Attachments of ``status_ids`` in the order their statuses list them."""
        return self.filter(status_id__in=status_ids).order_by("status_id", "position", "id")


class MediaAttachment(PublicModel):
    """One uploaded photo, video or audio file and the renditions made from it.

    ``files`` maps a rendition name (``original``, ``small``, ``mp4``, ``hls``,
    ``poster``, ``audio``) to its name in the default storage; every name is made by
    the server (``media/<id>/<random token>/<rendition>.<ext>``). ``meta`` is
    Mastodon's ``meta`` object. ``status_id`` is the status the attachment belongs
    to, set once when a status attaches it.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media_attachments"
    )
    type = models.CharField(max_length=10, choices=MediaType.choices, default=MediaType.UNKNOWN)
    state = models.CharField(
        max_length=10,
        choices=ProcessingState.choices,
        default=ProcessingState.PENDING,
        db_index=True,
    )
    content_type = models.CharField(max_length=100, blank=True, help_text=_("Sniffed MIME type."))
    file_size = models.PositiveBigIntegerField(default=0)
    files = models.JSONField(default=dict, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True, max_length=1500)
    focus_x = models.FloatField(default=0.0)
    focus_y = models.FloatField(default=0.0)
    blurhash = models.CharField(max_length=100, blank=True)
    perceptual_hashes = models.JSONField(default=list, blank=True)
    status_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)
    job = models.ForeignKey(
        "core.BackgroundJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    failure_reason = models.CharField(max_length=500, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    kept_by = models.CharField(
        max_length=64,
        blank=True,
        help_text=_(
            "What keeps this media without a status (a live replay: live:<stream id>); "
            "kept media is never removed as unattached."
        ),
    )
    limits = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "Limits that replace the owner's plan for this file (max_video_seconds, "
            "max_video_bytes): a live replay may be longer than an upload."
        ),
    )

    objects = MediaAttachmentQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="media_attachment_account_id"),
            models.Index(
                fields=["created_at"],
                condition=Q(status_id__isnull=True),
                name="media_attachment_unattached",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    focus_x__gte=-1.0, focus_x__lte=1.0, focus_y__gte=-1.0, focus_y__lte=1.0
                ),
                name="media_attachment_focus_range",
            ),
        ]
        permissions = [("retry_mediaattachment", "Can retry processing of media attachments")]

    def __str__(self) -> str:
        return f"{self.type} {self.pk} ({self.state})"

    @property
    def is_ready(self) -> bool:
        return self.state == ProcessingState.READY


class Upload(PublicModel):
    """A resumable upload: chunks arrive over several requests, then become an attachment.

    With local storage the bytes collect in a file under ``MEDIA_UPLOAD_DIR``
    (``local_path``); with S3 they collect as the parts of an S3 multipart upload
    (``s3_key``, ``s3_upload_id``) that the client may also PUT to directly through
    presigned part URLs.
    """

    class State(models.TextChoices):
        OPEN = "open", _("receiving chunks")
        FINISHED = "finished", _("finished")
        EXPIRED = "expired", _("expired")
        ABORTED = "aborted", _("aborted")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media_uploads"
    )
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    checksum = models.CharField(max_length=64, help_text=_("SHA-256 of the whole file, hex."))
    offset = models.PositiveBigIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    backend = models.CharField(max_length=10, default="local")
    local_path = models.CharField(max_length=500, blank=True)
    s3_key = models.CharField(max_length=500, blank=True)
    s3_upload_id = models.CharField(max_length=500, blank=True)
    part_size = models.PositiveBigIntegerField(default=0)
    description = models.TextField(blank=True, max_length=1500)
    expires_at = models.DateTimeField(db_index=True)
    media = models.ForeignKey(
        MediaAttachment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(offset__lte=models.F("size")), name="media_upload_offset_lte_size"
            ),
        ]

    def __str__(self) -> str:
        return f"upload {self.pk} ({self.offset}/{self.size}, {self.state})"
