"""Routes of community reports, server rules and the Mastodon admin API for moderation.

Ids in paths go through core's ``id`` converter: the view gets an int, anything else is a 404.
"""

from django.urls import path

from apps.moderation.api import views

report_actions = [
    path(
        f"api/v1/admin/reports/<id:report_id>/{action}",
        views.AdminReportActionView.as_view(action=action),
    )
    for action in views.AdminReportActionView.ACTIONS
]

urlpatterns = [
    path("api/v1/reports", views.ReportCreateView.as_view()),
    path("api/v1/instance/rules", views.InstanceRulesView.as_view()),
    path("api/v1/admin/reports", views.AdminReportListView.as_view()),
    path("api/v1/admin/reports/<id:report_id>", views.AdminReportDetailView.as_view()),
    *report_actions,
    path("api/v1/admin/accounts/<id:account_id>/action", views.AdminAccountActionView.as_view()),
    *(
        path(
            f"api/v1/admin/accounts/<id:account_id>/{action}",
            views.AdminAccountLiftView.as_view(action=action),
        )
        for action in ("enable", "unsilence", "unsuspend")
    ),
]
