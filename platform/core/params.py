"""Request parameters as Mastodon's clients send them."""

from __future__ import annotations


def truthy(value) -> bool:
    """A boolean parameter: ``true``, ``1``, ``yes`` or ``on`` (any case), or True in JSON."""
    return str(value).lower() in ("1", "true", "yes", "on")
