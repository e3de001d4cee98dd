"""Links (and whatever else they judge) through the ``core.checks`` interface protection fills.

Each registered checker returns scores per category; the categories moderation
knows are kept (``link`` always, plus ``spam``/``scam`` if a checker scores them),
the highest score per category wins, and a checker that would refuse the text
lifts its categories to at least :data:`BLOCKING_SCORE`. Without a checker the
link score is 0 with confidence 0: nothing looked.
"""

from __future__ import annotations

from collections.abc import Sequence

from core import checks

from . import text as features
from .base import Context, Item, Score

BLOCKING_SCORE = 0.95
KNOWN = ("link", "spam", "scam", "offensive", "pii")


class LinkAssessor:
    name = "checks"
    categories = ("link",)

    @property
    def version(self) -> str:
        names = sorted({getattr(c, "__qualname__", repr(c)) for c in checks._checkers})
        return "core.checks[" + ",".join(names) + "]"

    def assess_item(self, item: Item) -> list[Score]:
        results = checks.check_text(item.text) if item.text else []
        if not results:
            return [Score("link", 0.0, 0.0 if item.text else 1.0, self.name)]
        best: dict[str, tuple[float, list[str]]] = {"link": (0.0, [])}
        for result in results:
            for category, value in result.scores.items():
                if category not in KNOWN:
                    continue
                value = max(0.0, min(1.0, float(value)))
                if result.is_blocking and value > 0:
                    value = max(value, BLOCKING_SCORE)
                score, names = best.get(category, (0.0, []))
                if value > 0:
                    names = [
                        *names,
                        f"{result.checker}" + (":blocking" if result.is_blocking else ""),
                    ]
                best[category] = (max(score, value), names)
        confidence = 0.85 if features.urls(item.text) else 0.7
        return [
            Score(category, score, confidence, self.name, tuple(names))
            for category, (score, names) in best.items()
        ]

    def assess(self, items: Sequence[Item], context: Context) -> list[list[Score]]:
        return [self.assess_item(item) for item in items]
