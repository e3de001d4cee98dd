"""Shields and pile-ons in the back office.

Moderators see every shield (the ones up first), what raised it, what the detector saw,
the pile-on's hostile strangers and what each sent, and the case that groups it; they
may bring a shield down early with a reason (audited).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.protection.models import Shield, ShieldSender
from apps.protection.services import shields
from core.admin_mixins import ReadOnlyAdminMixin, confirm_with_reason


class ShieldSenderInline(admin.TabularInline):
    model = ShieldSender
    fields = ["sender_id", "content_ids", "hostility", "muted", "created_at"]
    readonly_fields = ["sender_id", "content_ids", "hostility", "muted", "created_at"]
    extra = 0
    can_delete = False
    verbose_name = _("hostile stranger")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ActiveFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("up", _("Up")), ("down", _("Down"))]

    def queryset(self, request, queryset):
        if self.value() == "up":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "down":
            return queryset.filter(ended_at__isnull=False)
        return queryset


@admin.register(Shield)
class ShieldAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every shield; a pile-on's shows its hostile strangers and its case."""

    list_display = ["id", "account_id", "source", "started_at", "until", "ended_at", "case_id"]
    list_filter = [ActiveFilter, "source", "end_reason"]
    search_fields = ["=id", "=account__id", "account__username"]
    date_hierarchy = "started_at"
    exclude = ["account"]
    readonly_fields = [
        "account_id",
        "source",
        "started_at",
        "until",
        "ended_at",
        "end_reason",
        "detection",
        "case_id",
        "recap",
    ]
    inlines = [ShieldSenderInline]
    actions = ["lower"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).order_by("-ended_at", "-started_at")

    def has_lower_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("protection.lower_shield")

    @admin.action(description=_("Lower the shield now (with a reason)"), permissions=["lower"])
    def lower(self, request: HttpRequest, queryset: QuerySet):
        return confirm_with_reason(
            self,
            request,
            action="lower",
            objects=list(queryset.filter(ended_at__isnull=True)),
            title=_("Lower shields"),
            intro=_(
                "These shields come down now: the mutes they made are taken back, "
                "notifications are no longer filtered by them, and held posts are released:"
            ),
            empty=_("None of the selected shields is up."),
            submit=_("Lower"),
            describe=lambda shield: f"{shield.account_id} — {shield.get_source_display()}",
            perform=lambda shield, reason: shields.shield_lower(
                shield=shield,
                reason=Shield.EndReason.STAFF,
                actor=request.user,
                note=reason,
            ),
            done=_("%(count)d shields lowered."),
        )
