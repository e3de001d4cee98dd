"""Platform API URLs (mounted at ``/api/agora/v1/``)."""

from django.urls import path

from core.api import schema  # noqa: F401  (registers the OpenAPI extensions)
from core.api.views import JobDetailView

urlpatterns = [
    path("jobs/<id:job_id>", JobDetailView.as_view(), name="agora-job-detail"),
]
