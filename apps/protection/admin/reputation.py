"""Reputation in the back office: each account's trust, why, and how it moved.

Read-only: scores come only from the facts (:mod:`apps.protection.services.reputation`).
Staff with ``recompute_reputation`` may have selected accounts recomputed now, audited;
the components and the latest history are shown on the account's page.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.protection.models import Reputation, ReputationHistory, ReputationSignal
from apps.protection.services import reputation as service
from core.admin_mixins import ReadOnlyAdminMixin

HISTORY_SHOWN = 50


@admin.register(Reputation)
class ReputationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Accounts something besides their age is known of, lowest trust first."""

    list_display = ["account", "score", "level", "computed_at"]
    list_filter = ["level"]
    list_select_related = ["account"]
    search_fields = ["=account__id", "account__username"]
    ordering = ["score", "account_id"]
    actions = ["recompute"]
    readonly_fields = [
        "account", "score", "level", "computed_at", "components_table", "history_table",
    ]  # fmt: skip

    def has_recompute_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("protection.recompute_reputation")

    @admin.display(description=_("components"))
    def components_table(self, obj: Reputation):
        parts = (obj.components or {}).get("parts", {})
        inputs = (obj.components or {}).get("inputs", {})
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td></tr>", sorted(parts.items())
        )  # fmt: skip
        facts = format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", sorted(inputs.items()))
        return format_html(
            "<table><tr><th>{}</th><th>{}</th></tr>{}</table>"
            "<table><tr><th>{}</th><th>{}</th></tr>{}</table>",
            _("part"), _("contribution"), rows, _("input"), _("value"), facts,
        )  # fmt: skip

    @admin.display(description=_("history"))
    def history_table(self, obj: Reputation):
        changes = ReputationHistory.objects.filter(account_id=obj.account_id)[:HISTORY_SHOWN]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} ({})</td><td>{} ({})</td><td>{}</td></tr>",
            (
                (c.created_at, c.previous, c.previous_level, c.score, c.level, c.reason)
                for c in changes
            ),
        )
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("when"), _("from"), _("to"), _("reason"), rows,
        )  # fmt: skip

    @admin.action(description=_("Recompute now (audited)"), permissions=["recompute"])
    def recompute(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.order_by("pk").values_list("account_id", flat=True))
        for account_id in ids:
            service.reputation_recompute(account_id=account_id, reason="admin", actor=request.user)
        self.message_user(
            request,
            _("%(count)d accounts recomputed.") % {"count": len(ids)},
            messages.SUCCESS,
        )


@admin.register(ReputationHistory)
class ReputationHistoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "account", "previous", "score", "previous_level", "level",
                    "reason"]  # fmt: skip
    list_filter = ["level"]
    list_select_related = ["account"]
    search_fields = ["=account__id", "account__username"]
    date_hierarchy = "created_at"


@admin.register(ReputationSignal)
class ReputationSignalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Protection's ledger of moderation's decisions (strikes, reports' outcomes)."""

    list_display = ["occurred_at", "account", "kind", "outcome", "ref_id"]
    list_filter = ["kind", "outcome"]
    list_select_related = ["account"]
    search_fields = ["=account__id", "account__username", "=ref_id"]
