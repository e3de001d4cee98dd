"""The server rules, for the instance entity. Moderation fills this in.

``/api/v1/instance`` and ``/api/v2/instance`` (accounts) list the server rules, which
the moderation app keeps; it registers a provider in its ``AppConfig.ready()`` with
:func:`set_provider`. Without one the list is empty.
"""

from __future__ import annotations

from collections.abc import Callable

Provider = Callable[[], list[dict[str, str]]]
_provider: Provider | None = None


def set_provider(provider: Provider | None) -> None:
    """Install (or with ``None`` remove) the function listing the rules as Mastodon's Rule entities."""
    global _provider
    _provider = provider


def server_rules() -> list[dict[str, str]]:
    """The server rules (``{"id", "text", "hint"}``), in order; empty without a provider."""
    return _provider() if _provider is not None else []
