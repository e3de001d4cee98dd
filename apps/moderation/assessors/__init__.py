"""Automated assessors: each scores content in some of the moderation categories.

:func:`assess` runs every assessor over a batch and keeps, per item and category,
the highest score (with the assessor that gave it). Assessors are plain objects
made once per process; the learned text model (which runs the rule assessors of its
categories and weighs their scores in) and the offensive classifier load on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.signals import setting_changed
from django.dispatch import receiver

from .base import Assessor, Context, Item, Score
from .learned import TextModelAssessor
from .links import LinkAssessor
from .media import MediaMatchAssessor
from .offensive import OffensiveAssessor
from .pii import PersonalDataAssessor
from .scam import ScamAssessor
from .spam import SpamAssessor

__all__ = ["Context", "Item", "ItemResult", "Score", "assess", "default_assessors"]


@dataclass
class ItemResult:
    item: Item
    scores: dict[str, Score] = field(default_factory=dict)
    model_versions: dict[str, str] = field(default_factory=dict)

    def scores_json(self) -> dict[str, dict]:
        return {category: score.as_json() for category, score in sorted(self.scores.items())}

    def score_of(self, category: str) -> float:
        found = self.scores.get(category)
        return found.score if found else 0.0

    def score_values(self) -> dict[str, float]:
        return {category: score.score for category, score in self.scores.items()}

    def confidences(self) -> dict[str, float]:
        return {category: score.confidence for category, score in self.scores.items()}


_default: tuple[Assessor, ...] | None = None


def default_assessors() -> tuple[Assessor, ...]:
    global _default
    if _default is None:
        _default = (
            TextModelAssessor(
                rules=(OffensiveAssessor(), SpamAssessor(), ScamAssessor(), PersonalDataAssessor())
            ),
            LinkAssessor(),
            MediaMatchAssessor(),
        )
    return _default


@receiver(setting_changed)
def _model_setting_changed(*, setting: str, **kwargs) -> None:
    """A test (or ``override_settings``) that changes the model file gets assessors that read it."""
    global _default
    if setting == "MODERATION_TEXT_MODEL":
        _default = None


def assess(
    items: Sequence[Item],
    context: Context | None = None,
    assessors: Sequence[Assessor] | None = None,
) -> list[ItemResult]:
    """Score ``items`` in every category whose assessor is not disabled by ``context``."""
    context = context or Context()
    results = [ItemResult(item) for item in items]
    if not items:
        return results
    for assessor in assessors if assessors is not None else default_assessors():
        if all(category in context.disabled for category in assessor.categories):
            continue
        version = assessor.version
        for result, scores in zip(results, assessor.assess(items, context), strict=True):
            if scores:
                result.model_versions[assessor.name] = version
            for score in scores:
                if score.category in context.disabled:
                    continue
                current = result.scores.get(score.category)
                if current is None or score.score > current.score:
                    result.scores[score.category] = score
    return results
