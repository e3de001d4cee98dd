"""ASGI entry point: HTTP through Django, WebSockets through Channels.

Run with ``uvicorn config.asgi:application --app-dir platform``.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

from core import tracing  # noqa: E402

# Tracing, when configured, instruments Django before its handler is built.
tracing.setup(default_service_name="agora")

# Django must be set up before anything imports models (as get_asgi_application does).
django.setup(set_prefix=False)

from core.asgi import SynchronousChainASGIHandler  # noqa: E402

django_asgi_app = SynchronousChainASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from core.websocket import AllowedOriginUnlessToken, TokenAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedOriginUnlessToken(
            TokenAuthMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)
