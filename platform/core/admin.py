"""Back-office screens of the platform kernel: background jobs (read-only, revocable), the
domain-event outbox (read-only, redeliverable) and the audit trail (read-only)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_mixins import ReadOnlyAdminMixin
from core.events import outbox_redeliver
from core.jobs import job_revoked
from core.models import AuditEntry, BackgroundJob, OutboxEvent


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
    fields = (
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
    )
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


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Domain events on their way to their handlers; failed ones say why.

    Written only by ``core.events``: operators read them, and once the cause of a
    failure is fixed may deliver a failed event again (its handlers are idempotent).
    """

    list_display = ["id", "event_type", "status", "attempts", "created_at", "next_attempt_at"]
    list_filter = ["status", "event_type"]
    search_fields = ["event_type", "last_error"]
    date_hierarchy = "created_at"
    actions = ["redeliver_events"]
    fields = (
        "id",
        "event_type",
        "payload",
        "status",
        "attempts",
        "delivered_to",
        "last_error",
        "created_at",
        "next_attempt_at",
        "finished_at",
    )
    readonly_fields = fields

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_outboxevent")

    @admin.action(
        description=_("Deliver the selected failed events again"), permissions=["redeliver"]
    )
    def redeliver_events(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> None:
        count = outbox_redeliver(outbox_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(count)d failed event will be delivered again.",
                "%(count)d failed events will be delivered again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail: readable by the roles given its view permission, changed by nobody.

    Not even a superuser may edit or delete a row here (the model and a database
    trigger refuse it as well), and there are no bulk actions.
    """

    list_display = ["created_at", "actor_name", "action", "target_type", "target_id", "note"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_name", "note", "=target_id"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    date_hierarchy = "created_at"
    actions = None
