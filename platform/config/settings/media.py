"""Settings of apps.media (every variable is documented in the README)."""

from .environment import env  # noqa: F401
