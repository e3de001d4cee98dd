"""Live's back office: streams (live now, ended) with the kill switch, and allowances.

Moderators end a stream with the kill switch, which also rotates its key and records
who and why; operators decide who may go live without a plan. The stream key is
never shown: only its hash is stored.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.live import services
from apps.live.models import LiveAllowance, Stream
from core.admin_mixins import ReadOnlyAdminMixin, confirm_with_reason


@admin.register(Stream)
class StreamAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every stream, live ones first to look at, with the kill switch."""

    list_display = ["id", "title", "account_id", "visibility", "state", "started_at", "ended_at"]
    list_filter = ["state", "visibility"]
    search_fields = ["=id", "=account__id", "title"]
    date_hierarchy = "created_at"
    actions = ["kill"]
    exclude = ["account", "key_hash"]
    readonly_fields = [
        "account_id",
        "title",
        "description",
        "visibility",
        "state",
        "internal_name",
        "chat_settings",
        "started_at",
        "ended_at",
        "ended_by",
        "end_reason",
        "peak_viewers",
        "unique_viewers",
    ]

    def has_kill_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("live.kill_stream")

    @admin.action(
        description=_("Kill switch: end, rotate the key (with a reason)"), permissions=["kill"]
    )
    def kill(self, request: HttpRequest, queryset: QuerySet):
        return confirm_with_reason(
            self,
            request,
            action="kill",
            objects=list(queryset.exclude(state=Stream.State.ENDED)),
            title=_("End streams with the kill switch"),
            intro=_("These streams end now and their keys are rotated:"),
            empty=_("None of the selected streams is idle or live."),
            submit=_("End and rotate the key"),
            describe=lambda stream: (
                f"{stream.title} — {stream.account_id} — {stream.get_state_display()}"
            ),
            perform=lambda stream, reason: services.stream_kill(
                stream=stream, actor=request.user, reason=reason
            ),
            done=_("%(count)d streams ended and their keys rotated."),
        )


@admin.register(LiveAllowance)
class LiveAllowanceAdmin(admin.ModelAdmin):
    """Accounts an operator allowed to go live without a plan (``manage.py live_allow``)."""

    list_display = ["account", "granted_by", "granted_at"]
    search_fields = ["=account__id", "account__username"]
    raw_id_fields = ["account"]

    def get_fields(self, request, obj=None):
        return ["account"] if obj is None else ["account", "granted_by", "granted_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["account", "granted_by", "granted_at"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        allowance, _created = services.live_allow(account=obj.account, actor=request.user)
        obj.pk = allowance.pk

    def delete_model(self, request, obj) -> None:
        services.live_revoke(account=obj.account, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for allowance in queryset.select_related("account"):
            services.live_revoke(account=allowance.account, actor=request.user)
