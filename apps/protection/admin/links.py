"""Admin for link and lookalike safety: the domain blocklist and lookalike name flags.

Blocklist entries are added, changed and deleted here (moderators) or imported
(``manage.py protection_import_domains``); every change goes through
:mod:`apps.protection.services.domains`, which audits it. Lookalike flags are opened
by the system only; moderators resolve or dismiss them, each decision audited.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.protection.models import BlockedDomain, LookalikeFlag
from apps.protection.services import domains, lookalikes
from core import errors
from core.admin_mixins import ReadOnlyAdminMixin


@admin.register(BlockedDomain)
class BlockedDomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "severity", "reason", "source", "updated_at")
    list_filter = ("severity", "source")
    search_fields = ("domain", "reason")
    fields = ("domain", "severity", "reason", "source", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")

    def save_model(self, request: HttpRequest, obj: BlockedDomain, form, change: bool) -> None:
        domains.blocked_domain_save(actor=request.user, entry=obj)

    def delete_model(self, request: HttpRequest, obj: BlockedDomain) -> None:
        domains.blocked_domain_delete(actor=request.user, entry=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        """The "delete selected" action: each entry removed and audited on its own."""
        for entry in queryset:
            domains.blocked_domain_delete(actor=request.user, entry=entry)


@admin.register(LookalikeFlag)
class LookalikeFlagAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "account",
        "field",
        "value",
        "protected_account",
        "protected_value",
        "state",
        "created_at",
    )
    list_filter = ("state", "field")
    list_select_related = ("account", "protected_account")
    search_fields = ("value", "account__username", "protected_account__username")
    actions = ("resolve", "dismiss")

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("protection.change_lookalikeflag")

    def _decide(self, request: HttpRequest, queryset: QuerySet, decision: str) -> None:
        decided = 0
        for flag_id in queryset.filter(state=LookalikeFlag.State.OPEN).values_list("pk", flat=True):
            try:
                lookalikes.lookalike_flag_decide(
                    actor=request.user, flag_id=flag_id, decision=decision
                )
            except (errors.Conflict, errors.NotFound):
                continue  # decided by someone else in the meantime
            decided += 1
        self.message_user(
            request,
            _("%(count)d flags %(decision)s.") % {"count": decided, "decision": decision},
            messages.SUCCESS if decided else messages.WARNING,
        )

    @admin.action(description=_("Resolve (the account was dealt with)"), permissions=["decide"])
    def resolve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, LookalikeFlag.State.RESOLVED)

    @admin.action(description=_("Dismiss (a coincidence)"), permissions=["decide"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, LookalikeFlag.State.DISMISSED)
