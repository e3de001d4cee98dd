"""What accounts need to know about relationships that the feed keeps.

Follows and follow requests belong to the feed, above accounts, yet an account's
own profile (``verify_credentials``'s ``source.follow_requests_count``) reports
how many follow requests wait for it. The feed fills in this interface in its
``AppConfig.ready()`` with :func:`set_provider`; without the feed installed
nobody can ask to follow anybody, so the count is 0.
"""

from __future__ import annotations

from typing import Any, Protocol


class Provider(Protocol):
    def follow_requests_count(self, *, account: Any) -> int:
        """How many follow requests wait for ``account`` to answer, in one query."""


_provider: Provider | None = None


def set_provider(provider: Provider | None) -> None:
    """Install (or with ``None`` remove) the feed's side of this interface."""
    global _provider
    _provider = provider


def follow_requests_count(*, account: Any) -> int:
    """Pending follow requests to ``account``; 0 without the feed."""
    if _provider is None:
        return 0
    return _provider.follow_requests_count(account=account)
