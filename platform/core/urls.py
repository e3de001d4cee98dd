"""Platform URLs: health, readiness and background jobs."""

urlpatterns: list = []
