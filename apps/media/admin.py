"""The media library in the back office: processing state, job progress and a retry action.

Attachments are read-only here (files are written by ``apps.media.services``);
the one action, "retry processing", needs the custom ``media.retry_mediaattachment``
permission (operators), and calls :func:`apps.media.services.media_retry`.
Moderators hold only the view permissions. The list is a fixed number of queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.media import services
from apps.media.api.serializers import PREVIEW_RENDITION, URL_RENDITION, file_url
from apps.media.models import MediaAttachment, Upload
from core.admin_mixins import ReadOnlyAdminMixin
from core.errors import PlatformError

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


@admin.register(MediaAttachment)
class MediaAttachmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id", "preview", "owner", "type", "state", "progress", "job_status", "attached_to",
        "file_size", "created_at",
    ]  # fmt: skip
    list_filter = ["state", "type"]
    list_select_related = ["account", "job"]
    search_fields = ["=id", "account__username", "description"]
    date_hierarchy = "created_at"
    actions = ["retry_processing"]
    fields = (
        "id", "account", "type", "state", "failure_reason", "job_link", "progress",
        "content_type", "file_size", "status_id", "position", "description", "focus_x",
        "focus_y", "blurhash", "perceptual_hashes", "meta", "files", "processed_at",
        "created_at", "updated_at",
    )  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("account", "job")

    @admin.display(description=_("owner"), ordering="account__username")
    def owner(self, media: MediaAttachment) -> str:
        return f"@{media.account.username}"

    @admin.display(description=_("progress"))
    def progress(self, media: MediaAttachment) -> str:
        if media.is_ready:
            return "100%"
        job = media.job
        return f"{job.progress}%" if job is not None else "—"

    @admin.display(description=_("job"))
    def job_status(self, media: MediaAttachment) -> str:
        job = media.job
        if job is None:
            return "—"
        return f"{job.get_status_display()} ({job.attempts} attempt{'s' * (job.attempts != 1)})"

    @admin.display(description=_("job"))
    def job_link(self, media: MediaAttachment) -> str:
        if not media.job_id:
            return "—"
        return format_html(
            '<a href="../../../core/backgroundjob/{}/change/">{}</a>', media.job_id, media.job
        )

    @admin.display(description=_("status"))
    def attached_to(self, media: MediaAttachment) -> str | StrPromise:
        return str(media.status_id) if media.status_id else _("unattached")

    @admin.display(description=_("preview"))
    def preview(self, media: MediaAttachment) -> str:
        thumbnail = file_url(media, PREVIEW_RENDITION.get(media.type))
        link = file_url(media, URL_RENDITION.get(media.type))
        if not link:
            return "—"
        if thumbnail:
            return format_html(
                '<a href="{}"><img src="{}" alt="" style="max-height:48px"></a>', link, thumbnail
            )
        return format_html('<a href="{}">{}</a>', link, _("open"))

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("media.retry_mediaattachment")

    @admin.action(description=_("Retry processing"), permissions=["retry"])
    def retry_processing(self, request: HttpRequest, queryset: QuerySet) -> None:
        retried, refused = 0, []
        for media in queryset:
            try:
                services.media_retry(media=media)
            except PlatformError as exc:
                refused.append(f"{media.pk}: {exc.message}")
            else:
                retried += 1
        if retried:
            self.message_user(
                request, _("%(count)d attachment(s) queued again.") % {"count": retried}
            )
        for line in refused:
            self.message_user(request, line, level=messages.WARNING)


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "account", "state", "offset", "size", "backend", "expires_at"]
    list_filter = ["state", "backend"]
    list_select_related = ["account"]
    search_fields = ["=id", "account__username"]
    readonly_fields = (
        "id", "account", "state", "size", "offset", "part_size", "checksum", "content_type",
        "backend", "s3_key", "expires_at", "media", "created_at", "updated_at",
    )  # fmt: skip
    fields = readonly_fields
