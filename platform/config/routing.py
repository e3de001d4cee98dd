"""WebSocket routes: each installed app's ``routing.websocket_urlpatterns``.

An app adds a consumer in its own ``routing.py``; it is routed only while the app is
installed (see :mod:`config.wiring`).
"""

from config.wiring import app_modules

websocket_urlpatterns: list = [
    route for module in app_modules("routing") for route in module.websocket_urlpatterns
]
