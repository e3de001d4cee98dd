"""Billing's back office, for finance: plans, subscriptions and Stripe's webhook events.

Accounts appear by id only: finance needs to know which subscription is whose, not
who the person is. dj-stripe's own pages (customers, invoices, charges...) are
registered by dj-stripe; finance's role reads them (``grants.py``).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.billing import services
from apps.billing.models import (
    Customer,
    LedgerEntry,
    Payout,
    PayoutBatch,
    PayoutHold,
    Plan,
    Subscription,
    WebhookEvent,
)
from apps.billing.services import export
from core.admin_mixins import ReadOnlyAdminMixin, confirm_with_reason


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "tier",
        "name",
        "stripe_price_id",
        "active",
        "max_status_characters",
        "can_go_live",
    ]
    list_filter = ["active", "can_go_live"]
    search_fields = ["tier", "name", "stripe_price_id"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # subscriptions point at plans: retire one with "active" instead


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["stripe_id", "account_id", "created_at"]
    search_fields = ["stripe_id", "=account__id"]
    fields = ("stripe_id", "account_id", "created_at")
    readonly_fields = fields


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "stripe_id",
        "account_id",
        "plan",
        "status",
        "current_period_end",
        "cancel_at_period_end",
        "grace_until",
    ]
    list_filter = ["status", "plan", "cancel_at_period_end"]
    search_fields = ["stripe_id", "=account__id"]
    list_select_related = ["plan"]
    exclude = ["account"]
    readonly_fields = ["account_id"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every Stripe event received: failed ones first to look at, with a replay action."""

    list_display = [
        "stripe_id",
        "type",
        "state",
        "attempts",
        "deliveries",
        "received_at",
        "next_attempt_at",
        "mirrored_at",
    ]
    list_filter = ["state", "type", ("mirrored_at", admin.EmptyFieldListFilter)]
    search_fields = ["=stripe_id", "type"]
    date_hierarchy = "received_at"
    actions = ["replay"]
    exclude = ["payload"]
    readonly_fields = ["payload_pretty"]

    @admin.display(description=_("payload"))
    def payload_pretty(self, event: WebhookEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True))

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.replay_webhookevent")

    @admin.action(description=_("Process again"), permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = services.event_replay(
            event_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(
            request,
            _("%(count)d events sent to be processed again.") % {"count": count},
            messages.SUCCESS,
        )


# Creators' money --------------------------------------------------------------------


class PeriodForm(forms.Form):
    period = forms.DateField(input_formats=["%Y-%m"], label=_("Month (YYYY-MM)"))


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The append-only ledger; "Export a month as CSV" above the list."""

    list_display = [
        "occurred_at",
        "creator_id",
        "kind",
        "amount",
        "currency",
        "description",
        "stripe_id",
    ]
    list_filter = ["kind", "currency"]
    search_fields = ["=creator__id", "=stripe_id", "source"]
    date_hierarchy = "occurred_at"
    exclude = ["creator", "payout"]
    readonly_fields = ["creator_id", "payout_id"]
    change_list_template = "admin/billing/ledgerentry/change_list.html"

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="billing_ledgerentry_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest):
        if not request.user.has_perm("billing.export_ledgerentry"):
            raise PermissionDenied
        form = PeriodForm(request.GET or None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/billing/ledgerentry/export.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "form": form,
                    "title": _("Export a month of the ledger"),
                },
            )
        period = form.cleaned_data["period"]
        response = StreamingHttpResponse(
            export.ledger_csv(period=period, actor=request.user), content_type="text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="agora-ledger-{period:%Y-%m}.csv"'
        return response


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "started_at",
        "finished_at",
        "creators_paid",
        "creators_held",
        "amount_paid",
    ]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "idempotency_key",
        "batch",
        "creator_id",
        "amount",
        "currency",
        "state",
        "stripe_transfer_id",
    ]
    list_filter = ["state", "batch"]
    search_fields = ["=creator__id", "=stripe_transfer_id", "idempotency_key"]
    exclude = ["creator"]
    readonly_fields = ["creator_id"]


@admin.register(PayoutHold)
class PayoutHoldAdmin(admin.ModelAdmin):
    """Holds on creators' payouts: finance places manual ones and releases any, with a reason."""

    list_display = ["creator_id", "kind", "reason", "created_at", "released_at", "released_by"]
    list_filter = ["kind", ("released_at", admin.EmptyFieldListFilter)]
    search_fields = ["=creator__id", "reference"]
    actions = ["release"]
    raw_id_fields = ["creator"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["creator", "reason"]
        return [
            "creator_id",
            "kind",
            "reason",
            "reference",
            "created_at",
            "released_at",
            "released_by",
            "release_reason",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        hold = services.hold_place(
            creator_id=obj.creator_id,
            kind=PayoutHold.Kind.MANUAL,
            reason=obj.reason,
            actor=request.user,
        )
        obj.pk = hold.pk

    def has_release_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.release_payouthold")

    @admin.action(description=_("Release with a reason"), permissions=["release"])
    def release(self, request: HttpRequest, queryset: QuerySet):
        return confirm_with_reason(
            self,
            request,
            action="release",
            objects=list(queryset.filter(released_at__isnull=True)),
            title=_("Release payout holds"),
            intro=_("These holds:"),
            empty=_("None of the selected holds is open."),
            submit=_("Release"),
            describe=lambda hold: f"{hold.get_kind_display()} — {hold.creator_id} — {hold.reason}",
            perform=lambda hold, reason: services.hold_release(
                hold=hold, reason=reason, actor=request.user
            ),
            done=_("%(count)d holds released."),
        )
