"""Routes of the live app: the platform API and nginx-rtmp's internal callbacks."""

from django.urls import path

from apps.live import pages
from apps.live.api import chat, ingest, playback, viewers, views

urlpatterns = [
    path("api/agora/v1/live/streams", views.StreamListView.as_view()),
    path("api/agora/v1/live/streams/<id:stream_id>", views.StreamDetailView.as_view()),
    path("api/agora/v1/live/streams/<id:stream_id>/end", views.StreamEndView.as_view()),
    path(
        "api/agora/v1/live/streams/<id:stream_id>/rotate_key",
        views.StreamRotateKeyView.as_view(),
    ),
    path("api/agora/v1/live/streams/<id:stream_id>/chat/messages", chat.ChatMessagesView.as_view()),
    path(
        "api/agora/v1/live/streams/<id:stream_id>/chat/messages/<id:message_id>",
        chat.ChatMessageDetailView.as_view(),
    ),
    path("api/agora/v1/live/streams/<id:stream_id>/chat/replay", chat.ChatReplayView.as_view()),
    path("api/agora/v1/live/streams/<id:stream_id>/chat/timeouts", chat.ChatTimeoutsView.as_view()),
    path("api/agora/v1/live/streams/<id:stream_id>/chat/settings", chat.ChatSettingsView.as_view()),
    path("api/agora/v1/live/channel/moderators", chat.ChannelModeratorsView.as_view()),
    path(
        "api/agora/v1/live/channel/moderators/<id:account_id>",
        chat.ChannelModeratorDetailView.as_view(),
    ),
    path("api/agora/v1/live/channel/bans", chat.ChannelBansView.as_view()),
    path("api/agora/v1/live/channel/bans/<id:account_id>", chat.ChannelBanDetailView.as_view()),
    path(
        "api/agora/v1/live/streams/<id:stream_id>/heartbeat",
        viewers.StreamHeartbeatView.as_view(),
    ),
    path("internal/live/on_publish", ingest.on_publish),
    path("internal/live/on_publish_done", ingest.on_publish_done),
    path("internal/live/on_update", ingest.on_update),
    path("internal/live/on_record_done", ingest.on_record_done),
    path("internal/live/playable", playback.playable),
    # The watch page (a browser's, with its session) and its playback URL renewal.
    path("live/<id:stream_id>", pages.watch, name="live-watch"),
    path("live/<id:stream_id>/playback", pages.playback, name="live-watch-playback"),
]
