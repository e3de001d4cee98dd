"""How far the platform trusts an account. Protection fills this in.

Lower layers (the feed's rate limits, moderation's weighing of reporters, live
chat's established-accounts-only mode, appeals' juries) ask :func:`trust_of` or
:func:`trust_many`; the protection app registers a provider in its
``AppConfig.ready()`` with :func:`set_provider`. Without one every account is
:data:`NEUTRAL`: nobody is tightened, nobody is favoured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


class Level:
    """Trust levels, lowest first."""

    NEW = "new"  # younger than PROTECTION_NEW_ACCOUNT_DAYS
    LOW = "low"  # a score under the low threshold
    NORMAL = "normal"
    ESTABLISHED = "established"

    ORDER = (NEW, LOW, NORMAL, ESTABLISHED)


@dataclass(frozen=True)
class Trust:
    """One account's trust: ``score`` 0..1 and the ``level`` the platform acts on."""

    score: float
    level: str

    @property
    def is_new_or_low(self) -> bool:
        return self.level in (Level.NEW, Level.LOW)

    @property
    def is_established(self) -> bool:
        return self.level == Level.ESTABLISHED


NEUTRAL = Trust(score=0.5, level=Level.NORMAL)

# Answers for many accounts at once: {account id: Trust}; ids it leaves out are NEUTRAL.
Provider = Callable[[list[int]], dict[int, Trust]]
_provider: Provider | None = None


def set_provider(provider: Provider | None) -> None:
    """Install (or with ``None`` remove) the function that answers for accounts."""
    global _provider
    _provider = provider


def trust_many(account_ids: Iterable[int]) -> dict[int, Trust]:
    """Each account's trust, in one call whatever their number."""
    ids = list(dict.fromkeys(account_ids))
    answers = _provider(ids) if _provider is not None and ids else {}
    return {account_id: answers.get(account_id, NEUTRAL) for account_id in ids}


def trust_of(account_id: int) -> Trust:
    """One account's trust."""
    return trust_many([account_id])[account_id]
