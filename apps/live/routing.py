"""Live's WebSocket routes, wired by config.routing while live is installed."""

from django.urls import path

from apps.live.consumers import ChatConsumer

websocket_urlpatterns: list = [
    path("ws/live/<id:stream_id>/chat/", ChatConsumer.as_asgi()),
]
