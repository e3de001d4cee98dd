"""The feed's WebSocket routes, wired by config.routing while the feed is installed."""

from django.urls import re_path

from apps.feed.consumers import StreamingConsumer

websocket_urlpatterns: list = [
    # Mastodon's streaming API; clients connect with or without a trailing slash.
    re_path(r"^api/v1/streaming/?$", StreamingConsumer.as_asgi()),
]
