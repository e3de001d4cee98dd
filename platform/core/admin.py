"""Back-office screens of the platform kernel: background jobs (read-only, revocable)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_mixins import ReadOnlyAdminMixin
from core.jobs import job_revoked
from core.models import BackgroundJob


class ProgressFilter(admin.SimpleListFilter):
    """Jobs not started, part way, or complete."""

    title = _("progress")
    parameter_name = "progress"

    def lookups(self, request, model_admin):
        return [
            ("none", _("0%")),
            ("partial", _("1–99%")),
            ("complete", _("100%")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(progress=0)
        if self.value() == "partial":
            return queryset.filter(progress__gt=0, progress__lt=100)
        if self.value() == "complete":
            return queryset.filter(progress=100)
        return queryset


@admin.register(BackgroundJob)
class BackgroundJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Jobs are written only by their tasks: operators read them and may revoke them."""

    list_display = [
        "id",
        "kind",
        "owner",
        "status",
        "progress",
        "attempts",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", ProgressFilter, "kind"]
    search_fields = ["kind", "owner__username", "owner__email", "task_id"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = ["revoke_jobs"]
    fields = [
        "id",
        "kind",
        "owner",
        "status",
        "progress",
        "message",
        "result",
        "error",
        "attempts",
        "task_id",
        "created_at",
        "updated_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_backgroundjob")

    @admin.action(description=_("Revoke the selected jobs"), permissions=["revoke"])
    def revoke_jobs(self, request: HttpRequest, queryset: QuerySet[BackgroundJob]) -> None:
        revoked = skipped = 0
        for job_id in queryset.values_list("pk", flat=True):
            try:
                job_revoked(job_id=job_id)
            except ValidationError:
                skipped += 1
            else:
                revoked += 1
        if revoked:
            self.message_user(
                request,
                ngettext("Revoked %(count)d job.", "Revoked %(count)d jobs.", revoked)
                % {"count": revoked},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d job had already finished and was left as it was.",
                    "%(count)d jobs had already finished and were left as they were.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
