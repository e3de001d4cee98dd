"""The media app's readiness check: ffmpeg and ffprobe must be installed to process media."""

from __future__ import annotations

from apps.media import ffmpeg
from core import health

CHECK_NAME = "media_processing"


def check_media_tools() -> None:
    """Raise :class:`core.health.ReadinessProblem` naming the missing tools."""
    missing = ffmpeg.missing_tools()
    if missing:
        raise health.ReadinessProblem(
            f"media processing unavailable: {', '.join(missing)} not installed"
        )


def register() -> None:
    """Optional: without ffmpeg the rest of Agora serves on, and /readyz says what is missing."""
    health.register_check(CHECK_NAME, check_media_tools, critical=False)
