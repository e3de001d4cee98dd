"""Live's readiness check: nginx-rtmp's callbacks need their shared secret."""

from __future__ import annotations

from django.conf import settings

from core import health

CHECK_NAME = "live_ingest"


def check_live_ingest() -> None:
    """Raise :class:`core.health.ReadinessProblem` when nobody can go live here."""
    if not settings.LIVE_CALLBACK_SECRET:
        raise health.ReadinessProblem(
            "live ingest not configured: no LIVE_CALLBACK_SECRET; nginx-rtmp's callbacks "
            "are refused and nobody can go live"
        )


def register() -> None:
    """Optional: without live ingest the rest of Agora serves on."""
    health.register_check(CHECK_NAME, check_live_ingest, critical=False)
