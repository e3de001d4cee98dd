"""Routes of the live app: the platform API and nginx-rtmp's internal callbacks."""

from django.urls import path

from apps.live.api import ingest, viewers, views

urlpatterns = [
    path("api/agora/v1/live/streams", views.StreamListView.as_view()),
    path("api/agora/v1/live/streams/<id:stream_id>", views.StreamDetailView.as_view()),
    path("api/agora/v1/live/streams/<id:stream_id>/end", views.StreamEndView.as_view()),
    path(
        "api/agora/v1/live/streams/<id:stream_id>/rotate_key",
        views.StreamRotateKeyView.as_view(),
    ),
    path(
        "api/agora/v1/live/streams/<id:stream_id>/heartbeat",
        viewers.StreamHeartbeatView.as_view(),
    ),
    path("internal/live/on_publish", ingest.on_publish),
    path("internal/live/on_publish_done", ingest.on_publish_done),
    path("internal/live/on_update", ingest.on_update),
]
