"""WSGI entry point (management and WSGI-only hosts; Agora serves through ASGI)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

from core import tracing  # noqa: E402

# Tracing, when configured, instruments Django before its handler is built.
tracing.setup(default_service_name="agora")

application = get_wsgi_application()
