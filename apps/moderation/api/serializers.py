"""Mastodon's Report, Rule and admin entities, and the report form."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import get_user_model
from rest_framework import serializers

from apps.accounts.api.serializers import AccountSerializer
from apps.accounts.models import Standing
from apps.moderation.models import Rule

User = get_user_model()


class RuleSerializer(serializers.ModelSerializer):
    """Mastodon's Rule entity."""

    id = serializers.SerializerMethodField()

    class Meta:
        model = Rule
        fields = ["id", "text", "hint"]

    def get_id(self, rule) -> str:
        return str(rule.pk)


class ReportCreateSerializer(serializers.Serializer):
    """``POST /api/v1/reports``: form, query or JSON, with Mastodon's parameter names."""

    account_id = serializers.CharField()
    status_ids = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    forward = serializers.BooleanField(required=False, default=False)
    category = serializers.CharField(required=False, allow_blank=True, default="")
    rule_ids = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class ReportSerializer(serializers.Serializer):
    """Mastodon's Report entity, as its reporter sees it."""

    id = serializers.SerializerMethodField()
    action_taken = serializers.BooleanField()
    action_taken_at = serializers.DateTimeField(allow_null=True)
    category = serializers.CharField()
    comment = serializers.CharField()
    forwarded = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    status_ids = serializers.SerializerMethodField()
    rule_ids = serializers.SerializerMethodField()
    target_account = serializers.SerializerMethodField()

    def get_id(self, report) -> str:
        return str(report.pk)

    def get_status_ids(self, report) -> list[str] | None:
        return [str(i) for i in report.status_ids] or None

    def get_rule_ids(self, report) -> list[str] | None:
        return [str(rule.pk) for rule in report.rules.all()] or None

    def get_target_account(self, report) -> dict:
        return AccountSerializer(report.target_account, context=self.context).data


class AdminAccountSerializer(serializers.Serializer):
    """Mastodon's Admin::Account entity (personal data: e-mail; reading it is audited)."""

    id = serializers.SerializerMethodField()
    username = serializers.CharField()
    domain = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="date_joined")
    email = serializers.SerializerMethodField()
    ip = serializers.SerializerMethodField()
    ips = serializers.SerializerMethodField()
    locale = serializers.CharField()
    invite_request = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    confirmed = serializers.SerializerMethodField()
    approved = serializers.SerializerMethodField()
    disabled = serializers.SerializerMethodField()
    silenced = serializers.SerializerMethodField()
    suspended = serializers.SerializerMethodField()
    sensitized = serializers.SerializerMethodField()
    account = serializers.SerializerMethodField()

    def _restriction(self, user) -> str:
        """From ``context["restrictions"]`` (filled for a whole page in one query) or the account."""
        # The context is the dict the view passed, shared by every entity it serializes.
        limits = cast(dict[str, Any], self.context).setdefault("restrictions", {})
        if user.pk not in limits:
            from apps.moderation.strikes import current_restriction

            limits[user.pk] = current_restriction(user.pk)
        return limits[user.pk]

    def get_id(self, user) -> str:
        return str(user.pk)

    def get_domain(self, user) -> None:
        return None

    def get_email(self, user) -> str:
        return user.email or ""

    def get_ip(self, user) -> None:
        return None

    def get_ips(self, user) -> list:
        return []

    def get_invite_request(self, user) -> None:
        return None

    def get_role(self, user) -> dict:
        moderators = self.context.get("moderator_ids")
        if moderators is None:
            moderators = set(
                User.objects.filter(pk=user.pk, groups__name="moderator").values_list(
                    "pk", flat=True
                )
            )
        staff = user.is_superuser or user.pk in moderators
        name = "Admin" if user.is_superuser else ("Moderator" if staff else "")
        return {"id": "-99" if not staff else "1", "name": name, "color": "", "permissions": "0"}

    def get_confirmed(self, user) -> bool:
        return True

    def get_approved(self, user) -> bool:
        return True

    def get_disabled(self, user) -> bool:
        return not user.is_active or self._restriction(user) == Standing.DISABLED

    def get_silenced(self, user) -> bool:
        return self._restriction(user) == Standing.LIMITED

    def get_suspended(self, user) -> bool:
        return self._restriction(user) == Standing.SUSPENDED

    def get_sensitized(self, user) -> bool:
        return False

    def get_account(self, user) -> dict:
        return AccountSerializer(user, context=self.context).data


class AdminReportSerializer(serializers.Serializer):
    """Mastodon's Admin::Report entity."""

    id = serializers.SerializerMethodField()
    action_taken = serializers.BooleanField()
    action_taken_at = serializers.DateTimeField(allow_null=True)
    category = serializers.CharField()
    comment = serializers.CharField()
    forwarded = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    account = serializers.SerializerMethodField()
    target_account = serializers.SerializerMethodField()
    assigned_account = serializers.SerializerMethodField()
    action_taken_by_account = serializers.SerializerMethodField()
    statuses = serializers.SerializerMethodField()
    rules = serializers.SerializerMethodField()

    def _account(self, user) -> dict:
        return AdminAccountSerializer(user, context=self.context).data

    def get_id(self, report) -> str:
        return str(report.pk)

    def get_account(self, report) -> dict:
        return self._account(report.reporter)

    def get_target_account(self, report) -> dict:
        return self._account(report.target_account)

    def get_assigned_account(self, report) -> dict | None:
        case = report.case
        return self._account(case.assigned_to) if case.assigned_to_id else None

    def get_action_taken_by_account(self, report) -> dict | None:
        return self._account(report.action_taken_by) if report.action_taken_by_id else None

    def get_statuses(self, report) -> list[dict]:
        statuses = self.context.get("statuses", {})
        return [statuses[i] for i in report.status_ids if i in statuses]

    def get_rules(self, report) -> list[dict]:
        rules = RuleSerializer(report.rules.all(), many=True)
        return rules.data  # type: ignore[return-value]  # many=True: a list


class AccountActionSerializer(serializers.Serializer):
    """``POST /api/v1/admin/accounts/:id/action``."""

    type = serializers.CharField(required=False, default="none")
    report_id = serializers.CharField(required=False, allow_blank=True, default="")
    warning_preset_id = serializers.CharField(required=False, allow_blank=True, default="")
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    send_email_notification = serializers.BooleanField(required=False, default=True)
