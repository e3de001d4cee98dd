"""WebSocket routes. Apps add their consumers here as they arrive."""

websocket_urlpatterns: list = []
