"""The feed's status screen, as moderation extends it: how often each status was reported.

The feed sits below moderation and knows nothing of reports, so moderation re-registers
the feed's read-only ``StatusAdmin`` with a report count column and filter. A status's
report count is the number of community reports in the case about it.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from apps.feed.admin import StatusAdmin
from apps.feed.models import Status
from apps.moderation.models import Report


def report_counts():
    """Per status row (``OuterRef("pk")``): how many reports its case holds, 0 when none."""
    reports = (
        Report.objects.filter(case__content_type="status", case__content_id=OuterRef("pk"))
        .order_by()
        .values("case__content_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(reports, output_field=IntegerField()), Value(0))


class ReportCountFilter(admin.SimpleListFilter):
    title = _("reports")
    parameter_name = "reports"

    def lookups(self, request, model_admin):
        return [
            ("0", _("Not reported")),
            ("1", _("Reported")),
            ("3", _("3 or more reports")),
            ("10", _("10 or more reports")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value not in {"0", "1", "3", "10"}:
            return queryset
        if value == "0":
            return queryset.filter(report_count=0)
        return queryset.filter(report_count__gte=int(value))


admin.site.unregister(Status)


@admin.register(Status)
class ReportedStatusAdmin(StatusAdmin):
    list_display = [*StatusAdmin.list_display, "report_count"]
    list_filter = [*StatusAdmin.list_filter, ReportCountFilter]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(report_count=report_counts())

    @admin.display(description=_("reports"), ordering="report_count")
    def report_count(self, status) -> int:
        return status.report_count
