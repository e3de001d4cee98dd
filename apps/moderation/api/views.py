"""Community reports, server rules and Mastodon's admin API for reports and account actions.

Thin: parse, call one service or selector, shape the output.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.moderation import selectors, services
from apps.moderation.api.serializers import (
    AccountActionSerializer,
    AdminReportSerializer,
    ReportCreateSerializer,
    ReportSerializer,
    RuleSerializer,
)
from apps.moderation.models import Report
from core import audit
from core.api.pagination import paged_response
from core.api.schema import error_response
from core.ids import parse_id
from core.pagination import page_params, paginate_queryset
from core.params import truthy
from core.permissions import HasScope, HasUser
from core.throttling import TierRateThrottle

User = get_user_model()


def _form(data, *list_fields: str):
    """The request body as a plain dict; Mastodon's ``name[]`` list parameters become lists.

    A JSON body that is not an object is handed on as it is, for the serializer to
    refuse with a 422 ("Expected a dictionary").
    """
    if not hasattr(data, "getlist"):
        return dict(data) if isinstance(data, Mapping) else data
    out = {key: data.get(key) for key in data}
    for name in list_fields:
        values = data.getlist(f"{name}[]") or data.getlist(name)
        out.pop(f"{name}[]", None)
        if values:
            out[name] = values
    return out


class ReportThrottle(TierRateThrottle):
    """The ``reports`` scope: the tier's rate if settings name one, else MODERATION_REPORT_RATE.

    Counted besides the tier's ``default`` budget, which the default throttle keeps.
    """

    def scope_for(self, view) -> str:
        return "reports"

    def rate_for(self, tier: str, scope: str) -> str | None:
        rates = settings.AGORA_THROTTLE_RATES.get(tier) or {}
        return rates.get("reports") or settings.MODERATION_REPORT_RATE


class ReportCreateView(APIView):
    """``POST /api/v1/reports``: Mastodon's report, joined to the target's open case."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"POST": "write:reports"}

    def get_throttles(self):
        return [*super().get_throttles(), ReportThrottle()]

    @extend_schema(
        request=ReportCreateSerializer, responses=ReportSerializer, operation_id="report_create"
    )
    def post(self, request):
        form = ReportCreateSerializer(data=_form(request.data, "status_ids", "rule_ids"))
        form.is_valid(raise_exception=True)
        data = form.validated_data
        report = services.report_create(
            reporter=request.user,
            account_id=data["account_id"],
            status_ids=data["status_ids"],
            comment=data["comment"],
            forward=data["forward"],
            category=data["category"],
            rule_ids=data["rule_ids"],
        )
        report = Report.objects.select_related("target_account").get(pk=report.pk)
        return Response(ReportSerializer(report, context={"request": request}).data)


class InstanceRulesView(APIView):
    """``GET /api/v1/instance/rules``: the server rules, public."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=RuleSerializer(many=True), operation_id="instance_rules_list")
    def get(self, request):
        return Response(RuleSerializer(selectors.rules_list(), many=True).data)


# Mastodon's admin API ----------------------------------------------------------------


class IsModerator(BasePermission):
    """The token's user holds the moderator role (or is a superuser): may act on the queue."""

    message = _("This action is not allowed")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        needed = "moderation.view_report" if request.method == "GET" else "moderation.act_on_case"
        return user.has_perm(needed)


class AdminView(APIView):
    permission_classes = [HasScope, HasUser, IsModerator]


def _report_get(report_id: int) -> Report:
    report = (
        Report.objects.select_related(
            "reporter", "target_account", "case", "case__assigned_to", "action_taken_by"
        )
        .prefetch_related("rules")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise NotFound(_("Record not found"))
    return report


def _admin_reports_data(request, reports) -> list:
    """Render Admin::Report entities; reading reporters' and authors' data is audited."""
    from apps.feed import selectors as feed_selectors
    from apps.feed.api.serializers import StatusSerializer

    status_ids = sorted({i for report in reports for i in report.status_ids})
    statuses = feed_selectors.statuses_in_order(status_ids) if status_ids else []
    state = feed_selectors.viewer_state(viewer=request.user, statuses=statuses)
    rendered = StatusSerializer(
        statuses, many=True, context={"request": request, "viewer_state": state}
    ).data
    users = {
        user.pk
        for report in reports
        for user in (report.reporter, report.target_account, report.case.assigned_to)
        if user is not None
    } | {report.action_taken_by_id for report in reports if report.action_taken_by_id}
    context = {
        "request": request,
        "statuses": {int(s["id"]): s for s in rendered},
        "restrictions": selectors.restrictions_of(users),
        "moderator_ids": set(
            User.objects.filter(pk__in=users, groups__name="moderator").values_list("pk", flat=True)
        ),
    }
    data = AdminReportSerializer(reports, many=True, context=context).data
    audit.personal_data_viewed_many(
        actor=request.user,
        target_type="report",
        views=[
            (
                report.pk,
                f"admin API: reporter {report.reporter_id}, target {report.target_account_id}",
            )
            for report in reports
        ],
    )
    return data  # type: ignore[return-value]  # many=True: a list


class AdminReportListView(AdminView):
    required_scopes = {"GET": "admin:read:reports"}

    @extend_schema(responses=AdminReportSerializer(many=True), operation_id="admin_reports_list")
    def get(self, request):
        params = page_params(request, default_limit=100, max_limit=200)
        queryset = Report.objects.select_related(
            "reporter", "target_account", "case", "case__assigned_to", "action_taken_by"
        ).prefetch_related("rules")
        resolved = truthy(request.query_params.get("resolved", ""))
        if resolved:
            queryset = queryset.exclude(outcome=Report.Outcome.PENDING)
        else:
            queryset = queryset.filter(outcome=Report.Outcome.PENDING)
        for name, field in (
            ("account_id", "reporter_id"),
            ("target_account_id", "target_account_id"),
        ):
            value = request.query_params.get(name)
            if value:
                if parse_id(value) is None:
                    raise ValidationError({name: [_("must be an integer id")]})
                queryset = queryset.filter(**{field: parse_id(value)})
        reports = paginate_queryset(queryset, params)
        data = _admin_reports_data(request, reports)
        return paged_response(request, data, rows=reports, params=params)


class AdminReportDetailView(AdminView):
    required_scopes = {"GET": "admin:read:reports"}

    @extend_schema(responses=AdminReportSerializer, operation_id="admin_reports_retrieve")
    def get(self, request, report_id):
        report = _report_get(report_id)
        return Response(_admin_reports_data(request, [report])[0])


class AdminReportActionView(AdminView):
    """assign_to_self, unassign, resolve and reopen: they act on the report's case."""

    required_scopes = {"POST": "admin:write:reports"}
    action = "resolve"
    ACTIONS = ("assign_to_self", "unassign", "resolve", "reopen")

    @extend_schema(
        request=None,
        responses={
            200: AdminReportSerializer,
            409: error_response("Another moderator holds the report's case."),
        },
    )
    def post(self, request, report_id):
        report = _report_get(report_id)
        # A case that cannot take the action raises CaseError, a Conflict: 409.
        if self.action == "assign_to_self":
            services.case_claim(case=report.case, moderator=request.user)
        elif self.action == "unassign":
            services.case_unclaim(case=report.case, moderator=request.user)
        elif self.action == "resolve":
            if report.case.is_open:
                services.case_act(case=report.case, moderator=request.user, action="approve")
        else:
            services.case_reopen(case=report.case, moderator=request.user)
        report = _report_get(report.pk)
        return Response(_admin_reports_data(request, [report])[0])


class AdminAccountActionView(AdminView):
    """``POST /api/v1/admin/accounts/:id/action``: warn, mark sensitive, limit, suspend, disable."""

    required_scopes = {"POST": "admin:write:accounts"}

    @extend_schema(
        request=AccountActionSerializer, responses=None, operation_id="admin_accounts_action"
    )
    def post(self, request, account_id):
        account = User.objects.filter(pk=account_id).first()
        if account is None:
            raise NotFound(_("Record not found"))
        form = AccountActionSerializer(data=_form(request.data))
        form.is_valid(raise_exception=True)
        data = form.validated_data
        report = None
        if data["report_id"]:
            report_id = parse_id(data["report_id"])
            if report_id is None:
                raise NotFound(_("Record not found"))
            report = _report_get(report_id)
        services.account_action(
            moderator=request.user,
            account=account,
            type=data["type"],
            text=data["text"],
            report=report,
        )
        return Response({})


class AdminAccountLiftView(AdminView):
    """``POST /api/v1/admin/accounts/:id/{enable,unsilence,unsuspend}``: lift a standing."""

    required_scopes = {"POST": "admin:write:accounts"}
    action = ""

    @extend_schema(request=None, responses=None)
    def post(self, request, account_id):
        account = User.objects.filter(pk=account_id).first()
        if account is None:
            raise NotFound(_("Record not found"))
        services.account_standing_lift(moderator=request.user, account=account, type=self.action)
        return Response({})
