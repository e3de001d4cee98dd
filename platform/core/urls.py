"""Platform URLs: liveness, readiness and the platform API's background jobs."""

from django.urls import include, path

from core import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/agora/v1/", include("core.api.urls")),
]
