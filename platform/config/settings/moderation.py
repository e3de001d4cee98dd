"""Settings of apps.moderation (every variable is documented in the README)."""

from .environment import env  # noqa: F401
