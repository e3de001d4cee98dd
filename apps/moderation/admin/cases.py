"""The moderator's console: the review queue, case pages with claim and actions, and the
read-only reports, strikes and rules (the audit trail is core's screen).

Views and actions here are interfaces: they check permissions, validate the form
and call :mod:`apps.moderation.services`. Acting needs ``moderation.act_on_case``,
claiming ``moderation.change_case``; reviewers, finance and operators hold neither.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.moderation import selectors, services
from apps.moderation.models import Case, CaseAction, Report, Rule, Strike
from core import audit
from core.admin_mixins import ReadOnlyAdminMixin
from core.models import AuditEntry

User = get_user_model()


def _can_act(request: HttpRequest) -> bool:
    return request.user.has_perm("moderation.act_on_case")


# The queue's filters -------------------------------------------------------------------


class StateFilter(admin.SimpleListFilter):
    """Open cases unless asked otherwise: the queue is what still needs a decision."""

    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("resolved", _("Resolved")), ("all", _("All"))]

    def choices(self, changelist):
        value = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "all":
            return queryset
        return queryset.filter(state=value)


class SourceFilter(admin.SimpleListFilter):
    title = gettext_lazy("source")
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return [("automated", _("Automated")), ("report", _("Report"))]

    def queryset(self, request, queryset):
        if self.value() == "automated":
            return queryset.filter(from_automated=True)
        if self.value() == "report":
            return queryset.filter(report_count__gt=0)
        return queryset


class CategoryFilter(admin.SimpleListFilter):
    title = gettext_lazy("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [
            (c, c)
            for c in Case.objects.order_by("category").values_list("category", flat=True).distinct()
        ]

    def queryset(self, request, queryset):
        return queryset.filter(category=self.value()) if self.value() else queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = gettext_lazy("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        choices = [("me", _("Me")), ("none", _("Unassigned"))]
        assignees = (
            User.objects.filter(pk__in=Case.objects.exclude(assigned_to=None).values("assigned_to"))
            .order_by("username")
            .values_list("pk", "username")
        )
        return choices + [(str(pk), name) for pk, name in assignees]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assigned_to=request.user)
        if value == "none":
            return queryset.filter(assigned_to=None)
        if value and value.isdigit():
            return queryset.filter(assigned_to_id=int(value))
        return queryset


# The action form (one case or many) ----------------------------------------------------


class CaseActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("", "---------"), *CaseAction.choices], label=gettext_lazy("Action")
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=gettext_lazy("Note for moderators"),
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=gettext_lazy("Reason shown to the user"),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") and data["action"] != CaseAction.APPROVE and not data.get("reason"):
            self.add_error("reason", _("Tell the user why (it is shown to them)."))
        return data


def _scores(assessment) -> list[tuple[str, float, float]]:
    """(category, score, confidence), highest score first, for the evidence table."""
    rows = []
    for category, value in (assessment.scores or {}).items():
        if isinstance(value, dict):
            rows.append((category, value.get("score", 0.0), value.get("confidence", 0.0)))
        else:
            rows.append((category, value, 0.0))
    return sorted(rows, key=lambda row: row[1], reverse=True)


def _bulk_action(action: str):
    def run(modeladmin, request, queryset):
        if not _can_act(request):
            raise PermissionDenied
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        url = reverse("admin:moderation_case_act_many")
        return HttpResponseRedirect(f"{url}?ids={ids}&action={action}")

    run.__name__ = f"bulk_{action}"
    return admin.action(
        run,
        description=_("%(action)s the selected cases…") % {"action": CaseAction(action).label},
        permissions=("act",),
    )


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = [
        "target",
        "category",
        "sources",
        "state",
        "priority_shown",
        "age",
        "sla_left",
        "assigned",
    ]
    list_display_links = ["target"]
    list_filter = [StateFilter, CategoryFilter, SourceFilter, AssigneeFilter]
    ordering = ["-priority", "created_at"]
    list_per_page = 50
    actions = [_bulk_action(action) for action in CaseAction.values]
    change_form_template = "admin/moderation/case/case.html"

    # Nobody adds, edits fields of or deletes cases here: they change only through actions.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_act_permission(self, request):
        return _can_act(request)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assigned_to")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Case._meta.fields]

    @admin.display(description=gettext_lazy("target"))
    def target(self, case):
        return f"{case.content_type} {case.content_id}"

    @admin.display(description=gettext_lazy("source"))
    def sources(self, case):
        parts = []
        if case.from_automated:
            parts.append(_("automated"))
        if case.report_count:
            parts.append(_("reports: %(n)d") % {"n": case.report_count})
        return ", ".join(parts) or case.source

    @admin.display(description=gettext_lazy("priority"), ordering="-priority")
    def priority_shown(self, case):
        return f"{case.priority:.2f} ({case.priority_band})"

    @admin.display(description=gettext_lazy("age"), ordering="created_at")
    def age(self, case):
        minutes = int((timezone.now() - case.created_at).total_seconds() // 60)
        return f"{minutes // 60}h {minutes % 60:02d}m"

    @admin.display(description=gettext_lazy("time to SLA"), ordering="sla_due_at")
    def sla_left(self, case):
        if not case.is_open or case.sla_due_at is None:
            return "—"
        seconds = int((case.sla_due_at - timezone.now()).total_seconds())
        sign = "" if seconds >= 0 else "-"
        seconds = abs(seconds)
        text = f"{sign}{seconds // 3600}h {seconds % 3600 // 60:02d}m"
        if sign:
            return format_html('<strong class="sla-overdue">{}</strong>', text)
        return text

    @admin.display(description=gettext_lazy("assignee"))
    def assigned(self, case):
        if case.assigned_to_id and case.claimed_until and case.claimed_until > timezone.now():
            return case.assigned_to.username
        return "—"

    # Extra pages -----------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("act/", wrap(self.act_many_view), name="moderation_case_act_many"),
            path("<int:case_id>/claim/", wrap(self.claim_view), name="moderation_case_claim"),
            path("<int:case_id>/unclaim/", wrap(self.unclaim_view), name="moderation_case_unclaim"),
            path("<int:case_id>/act/", wrap(self.act_view), name="moderation_case_act"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The case page: content, evidence, the author's history and strikes, all reports."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        case = get_object_or_404(Case.objects.select_related("assigned_to"), pk=object_id)
        author = User.objects.filter(pk=case.author_id).first()
        reports = list(selectors.case_reports(case))
        from apps.feed.models import Status

        status = chat_message = None
        if case.content_type == "status":
            status = Status.objects.filter(pk=case.content_id).first()
        elif case.content_type == "chat_message":
            from apps.live.selectors import chat_message_get

            chat_message = chat_message_get(message_id=case.content_id)
        pile_on = []
        if case.content_type == selectors.PILE_ON:
            senders = selectors.case_subjects(case)
            users = User.objects.in_bulk(list(senders))
            statuses = Status.objects.in_bulk([i for ids in senders.values() for i in ids])
            pile_on = [
                (users.get(sender_id), sender_id, [statuses[i] for i in ids if i in statuses])
                for sender_id, ids in senders.items()
            ]
        recent_statuses = list(
            Status.objects.filter(account_id=case.author_id, reblog_of__isnull=True).order_by(
                "-id"
            )[:10]
        )
        audit.personal_data_viewed(
            actor=request.user,
            target_type="case",
            target_id=case.pk,
            what=(
                f"case page: author {case.author_id}, reporters "
                + ", ".join(str(r.reporter_id) for r in reports)
            ),
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Case %(id)s") % {"id": case.pk},
            "case": case,
            "status": status,
            "chat_message": chat_message,
            "pile_on": pile_on,
            "author": author,
            "reports": reports,
            "assessments": [
                (assessment, _scores(assessment))
                for assessment in selectors.case_assessments(case)[:20]
            ],
            "strikes": list(selectors.author_strikes(case.author_id)[:50]),
            "prior_cases": list(selectors.author_prior_cases(case)[:20]),
            "recent_statuses": recent_statuses,
            "status_ids": selectors.case_status_ids(case),
            "can_act": _can_act(request) and case.is_open,
            "can_claim": self.has_change_permission(request) and case.is_open,
            "claimed_by_me": case.assigned_to_id == request.user.pk
            and case.claimed_until
            and case.claimed_until > timezone.now(),
            "claimed_by_other": case.claimed_by_other(request.user),
            "form": CaseActionForm(),
            "audit": AuditEntry.objects.about("case", case.pk)[:50],
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.change_form_template, context)

    def _case_or_403(self, request, case_id, *, act: bool) -> Case:
        allowed = _can_act(request) if act else self.has_change_permission(request)
        if not allowed:
            raise PermissionDenied
        return get_object_or_404(Case, pk=case_id)

    def claim_view(self, request, case_id):
        case = self._case_or_403(request, case_id, act=False)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:moderation_case_change", args=[case.pk]))
        try:
            services.case_claim(case=case, moderator=request.user)
            self.message_user(request, _("You are reviewing case %(id)s.") % {"id": case.pk})
        except services.CaseError as error:
            self.message_user(request, str(error), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:moderation_case_change", args=[case.pk]))

    def unclaim_view(self, request, case_id):
        case = self._case_or_403(request, case_id, act=False)
        if request.method == "POST":
            try:
                services.case_unclaim(case=case, moderator=request.user)
            except services.CaseError as error:
                self.message_user(request, str(error), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:moderation_case_change", args=[case.pk]))

    def act_view(self, request, case_id):
        case = self._case_or_403(request, case_id, act=True)
        form = CaseActionForm(request.POST or None, initial={"action": request.GET.get("action")})
        if request.method == "POST" and form.is_valid():
            try:
                services.case_act(
                    case=case,
                    moderator=request.user,
                    action=form.cleaned_data["action"],
                    note=form.cleaned_data["note"],
                    reason=form.cleaned_data["reason"],
                )
            except services.CaseError as error:
                self.message_user(request, str(error), messages.ERROR)
                return HttpResponseRedirect(reverse("admin:moderation_case_change", args=[case.pk]))
            self.message_user(
                request,
                _("Case %(id)s: %(action)s.")
                % {"id": case.pk, "action": CaseAction(form.cleaned_data["action"]).label},
            )
            return HttpResponseRedirect(reverse("admin:moderation_case_changelist"))
        return self._act_page(request, [case], form)

    def act_many_view(self, request):
        if not _can_act(request):
            raise PermissionDenied
        raw = request.POST.get("ids") or request.GET.get("ids") or ""
        ids = [int(i) for i in raw.split(",") if i.strip().isdigit()]
        cases = list(Case.objects.filter(pk__in=ids).order_by("pk"))
        if not cases:
            self.message_user(request, _("No cases selected."), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:moderation_case_changelist"))
        form = CaseActionForm(request.POST or None, initial={"action": request.GET.get("action")})
        if request.method == "POST" and form.is_valid():
            result = services.cases_act_bulk(
                cases=cases,
                moderator=request.user,
                action=form.cleaned_data["action"],
                note=form.cleaned_data["note"],
                reason=form.cleaned_data["reason"],
            )
            if result.done:
                self.message_user(
                    request,
                    _("%(count)d cases: %(action)s.")
                    % {
                        "count": len(result.done),
                        "action": CaseAction(form.cleaned_data["action"]).label,
                    },
                )
            for _case, why in result.skipped:
                self.message_user(request, why, messages.WARNING)
            return HttpResponseRedirect(reverse("admin:moderation_case_changelist"))
        return self._act_page(request, cases, form)

    def _act_page(self, request, cases, form):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Act on %(count)d case(s)") % {"count": len(cases)},
            "cases": cases,
            "ids": ",".join(str(c.pk) for c in cases),
            "form": form,
        }
        return TemplateResponse(request, "admin/moderation/case/act.html", context)


# Read-only screens ----------------------------------------------------------------------


@admin.register(Report)
class ReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "category", "reporter", "target_account", "case", "outcome", "created_at"]
    list_filter = ["category", "outcome"]
    list_select_related = ["reporter", "target_account", "case"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and object_id and str(object_id).isdigit():
            report = Report.objects.filter(pk=int(object_id)).first()
            if report is not None and self.has_view_permission(request, report):
                audit.personal_data_viewed(
                    actor=request.user,
                    target_type="report",
                    target_id=report.pk,
                    what=f"report page: reporter {report.reporter_id}, "
                    f"target {report.target_account_id}",
                )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Strike)
class StrikeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "account", "action", "case", "created_at", "expires_at"]
    list_filter = ["action"]
    list_select_related = ["account", "case"]


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["position", "text", "hint"]
    ordering = ["position", "id"]
