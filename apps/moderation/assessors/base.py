"""What an assessor sees and what it returns.

An assessor looks at a batch of :class:`Item` and returns, for each, the
:class:`Score` of every category it judges. Scores are 0..1 (how strongly the
content belongs to the category); ``confidence`` is how sure the assessor is of
that score (0..1), so that a clear "no" from a classifier and a "no" from a rule
that found nothing to look at are told apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from django.conf import settings


@dataclass(frozen=True)
class Item:
    """One piece of content as the assessors see it (a snapshot, never a model instance)."""

    key: str
    text: str = ""
    author_id: int | None = None
    author_created_at: datetime | None = None
    created_at: datetime | None = None
    media_hashes: tuple[str, ...] = ()
    # Context only the live pipeline has: a reply to another account, the author's active strikes.
    reply_to_other: bool = False
    author_strikes: int = 0

    def author_is_new(self) -> bool:
        """Whether the author joined within ``MODERATION_NEW_ACCOUNT_HOURS`` (burst and scam signals)."""
        if self.author_created_at is None:
            return False
        age = datetime.now(UTC) - self.author_created_at
        return age < timedelta(hours=settings.MODERATION_NEW_ACCOUNT_HOURS)


@dataclass(frozen=True)
class Score:
    category: str
    score: float
    confidence: float
    assessor: str
    # Why, for moderators: the signals that fired (never the personal data itself).
    signals: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "confidence": round(self.confidence, 4),
            "assessor": self.assessor,
            "signals": list(self.signals),
        }


@dataclass
class Context:
    """What a batch run may use besides the items: the flags in force, cache switches."""

    # Categories switched off for this run (by a feature flag); their assessors are skipped.
    disabled: frozenset[str] = frozenset()
    # Whether stateful signals (repeated text, bursts) record this batch in the cache.
    record: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


class Assessor(Protocol):
    name: str

    # Read-only, as the pipeline uses it: an assessor may declare it as a tuple of any length.
    @property
    def categories(self) -> tuple[str, ...]: ...

    @property
    def version(self) -> str: ...

    def assess(self, items: Sequence[Item], context: Context) -> list[list[Score]]: ...


def noisy_or(scores: Sequence[float]) -> float:
    """Combine independent signals: the chance that at least one of them is right."""
    remaining = 1.0
    for score in scores:
        remaining *= 1.0 - max(0.0, min(1.0, score))
    return 1.0 - remaining
