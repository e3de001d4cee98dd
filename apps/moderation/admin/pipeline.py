"""Admin for the automated pipeline: policies, known media hashes, assessments (read-only).

Policies are edited in place (thresholds in the list, validated by
``Policy.clean()``); each change is audited with its before and after. One
policy per category exists from the first migration: none is added or deleted
here. Assessments are evidence: nobody changes or deletes them, a superuser
included, and opening one (the author's text as it was) writes an audit record.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.moderation import policies
from apps.moderation.models import Assessment, KnownMediaHash, Policy
from apps.moderation.policies import POLICY_FIELDS
from core import audit
from core.admin_mixins import ReadOnlyAdminMixin


def _pretty_json(value) -> str:
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
    )


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("category", *POLICY_FIELDS, "updated_at", "updated_by")
    list_editable = POLICY_FIELDS
    list_select_related = ("updated_by",)
    fields = ("category", *POLICY_FIELDS, "updated_at", "updated_by")
    readonly_fields = ("category", "updated_at", "updated_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Policy, form, change: bool) -> None:
        policies.policy_update(policy=obj, actor=request.user)


@admin.register(KnownMediaHash)
class KnownMediaHashAdmin(admin.ModelAdmin):
    list_display = ("label", "hash", "max_distance", "is_active", "added_by", "created_at")
    list_filter = ("is_active",)
    list_select_related = ("added_by",)
    search_fields = ("label", "hash")
    fields = ("label", "hash", "max_distance", "is_active", "added_by", "created_at")
    readonly_fields = ("added_by", "created_at")

    def save_model(self, request: HttpRequest, obj: KnownMediaHash, form, change: bool) -> None:
        policies.known_hash_save(known=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: KnownMediaHash) -> None:
        policies.known_hash_delete(known=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        """The "delete selected" action: each hash removed and audited on its own."""
        for known in queryset:
            policies.known_hash_delete(known=known, actor=request.user)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "content_type",
        "content_id",
        "author_id",
        "trigger",
        "decision",
        "category",
        "top_score",
        "duration_ms",
        "created_at",
    )
    list_filter = ("decision", "category", "trigger", "content_type")
    search_fields = ("=content_id", "=author_id")
    date_hierarchy = "created_at"
    fields = (
        "content_type",
        "content_id",
        "author_id",
        "trigger",
        "decision",
        "category",
        "top_score",
        "duration_ms",
        "created_at",
        "scores_display",
        "model_versions_display",
        "evidence_display",
    )
    readonly_fields = fields

    @admin.display(description=_("scores"))
    def scores_display(self, obj: Assessment) -> str:
        return _pretty_json(obj.scores)

    @admin.display(description=_("model versions"))
    def model_versions_display(self, obj: Assessment) -> str:
        return _pretty_json(obj.model_versions)

    @admin.display(description=_("evidence"))
    def evidence_display(self, obj: Assessment) -> str:
        return _pretty_json(obj.evidence)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and str(object_id).isdigit():
            audit.personal_data_viewed(
                actor=request.user,
                target_type="assessment",
                target_id=int(object_id),
                what="assessment evidence",
            )
        return response
