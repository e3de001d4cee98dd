"""Who is a paying member of a creator. Billing fills this in; without it, nobody is.

Lower apps (subscriber-only live streams and chat, subscriber-only posts) ask
``membership_of(fan, creator_id)``; the billing app registers a provider in its
``AppConfig.ready()`` with :func:`set_provider`. Without billing installed (or
configured) the answer is ``None``: no one is a member, and subscriber-only content
is for its creator alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Membership:
    """A fan's membership of one of a creator's tiers."""

    creator_id: int
    tier_id: int
    tier: str
    until: str | None = None  # ISO 8601: the end of the paid period, when known


Provider = Callable[[int, int], Membership | None]
BulkProvider = Callable[[int], frozenset[int]]
_provider: Provider | None = None
_bulk_provider: BulkProvider | None = None


def set_provider(provider: Provider | None, bulk: BulkProvider | None = None) -> None:
    """Install (or with ``None`` remove) the functions that answer for a fan and a creator,
    and for a fan and every creator at once (``bulk``: the creators' ids)."""
    global _provider, _bulk_provider
    _provider = provider
    _bulk_provider = bulk


def membership_of(fan: Any, creator_id: int) -> Membership | None:
    """``fan``'s membership of ``creator_id``'s tiers now, or ``None``."""
    if fan is None or not getattr(fan, "is_authenticated", False) or _provider is None:
        return None
    return _provider(fan.pk, creator_id)


def is_member(fan: Any, creator_id: int) -> bool:
    return membership_of(fan, creator_id) is not None


def creators_of(fan: Any) -> frozenset[int]:
    """The ids of every creator ``fan`` is a paying member of now (one query, for filters)."""
    if fan is None or not getattr(fan, "is_authenticated", False) or _bulk_provider is None:
        return frozenset()
    return _bulk_provider(fan.pk)
