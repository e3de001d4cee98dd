"""The text categories (offensive, spam, scam, pii) judged by the learned model and the rules together.

The rule assessors run first; their scores are one input of the model's combiner (the other
is the n-gram models' view of the text), so a rule that fires on harmless text ("this movie
is killer") no longer decides alone. Signals only the live pipeline has (the same text from
many accounts, a new account's burst) are not in the training corpus; where one fired, the
rule's score stands when it is higher than the model's.

Confidence is the model's margin times its coverage of the text (the share of its n-grams
seen in training): a text unlike anything it learned from is never acted on automatically,
the policy queues it for a person instead (``MODERATION_ACT_MIN_CONFIDENCE``).

Without a model file (``MODERATION_TEXT_MODEL`` empty) the rules decide alone, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
from django.conf import settings

from apps.moderation.textmodel import CATEGORIES, ModelFileError, TextModel, model_read

from .base import Assessor, Context, Item, Score
from .context import LIFTED, context_signals, domains_reputation

logger = logging.getLogger(__name__)

# Rule signals that come from the live pipeline's state, not from the text.
CONTEXT_SIGNALS = ("repeated", "burst", "new_account")


def _is_context(signal: str) -> bool:
    return signal.startswith(CONTEXT_SIGNALS)


class TextModelAssessor:
    name = "text-model"
    categories = CATEGORIES

    def __init__(self, rules: Sequence[Assessor], path: str | Path | None = None) -> None:
        self.rules = tuple(rules)
        self._path = path

    @cached_property
    def model(self) -> TextModel | None:
        path = self._path if self._path is not None else settings.MODERATION_TEXT_MODEL
        if not path:
            return None
        try:
            model = model_read(Path(path))
        except ModelFileError as error:
            # Moderation goes on with the rules; the readiness check and the log say why.
            logger.error("moderation text model not loaded: %s", error)
            return None
        if tuple(model.categories) != CATEGORIES:
            logger.error("moderation text model is for %s, not %s", model.categories, CATEGORIES)
            return None
        return model

    def load(self) -> None:
        """Load the model (a worker does it once, not on its first post)."""
        _ = self.model
        for rule in self.rules:
            loader = getattr(rule, "load", None)
            if loader is not None:
                loader()

    @property
    def version(self) -> str:
        rules = ", ".join(rule.version for rule in self.rules)
        model = self.model
        return f"{model.version} + {rules}" if model is not None else f"rules only: {rules}"

    def rules_assess(self, items: Sequence[Item], context: Context) -> list[dict[str, Score]]:
        found: list[dict[str, Score]] = [{} for _ in items]
        for rule in self.rules:
            if all(category in context.disabled for category in rule.categories):
                continue
            for scores, per_item in zip(rule.assess(items, context), found, strict=True):
                for score in scores:
                    current = per_item.get(score.category)
                    if current is None or score.score > current.score:
                        per_item[score.category] = score
        return found

    def assess(self, items: Sequence[Item], context: Context) -> list[list[Score]]:
        results = self._assess(items, context)
        live = [i for i, item in enumerate(items) if item.author_id is not None and item.text]
        if not live:
            return results
        reputation = domains_reputation([items[i] for i in live])
        for i in live:
            results[i] = [self._in_context(items[i], score, reputation) for score in results[i]]
        return results

    @staticmethod
    def _in_context(item: Item, score: Score, reputation: dict[str, int]) -> Score:
        """``score`` lifted to a person's attention where the context calls for it (``.context``)."""
        if score.category not in CATEGORIES:
            return score
        signals = context_signals(item, score.category, score.score, reputation)
        if not signals:
            return score
        return Score(
            score.category,
            max(score.score, LIFTED),
            score.confidence,
            score.assessor,
            (*score.signals, *signals),
        )

    def _assess(self, items: Sequence[Item], context: Context) -> list[list[Score]]:
        by_rules = self.rules_assess(items, context)
        model = self.model
        with_text = [i for i, item in enumerate(items) if item.text.strip()]
        if model is None or not with_text:
            return [list(scores.values()) for scores in by_rules]
        rule_matrix = np.array(
            [
                [by_rules[i][c].score if c in by_rules[i] else 0.0 for c in CATEGORIES]
                for i in with_text
            ]
        )
        rule_signals = [
            [signal for score in by_rules[i].values() for signal in score.signals]
            for i in with_text
        ]
        probabilities, coverage = model.score(
            [items[i].text for i in with_text], rule_matrix, rule_signals
        )
        results = [list(scores.values()) for scores in by_rules]
        for row, i in enumerate(with_text):
            scores = []
            for column, category in enumerate(CATEGORIES):
                rule = by_rules[i].get(category)
                scores.append(
                    self._score(category, float(probabilities[row, column]), coverage[row], rule)
                )
            results[i] = [
                *scores,
                *(s for c, s in by_rules[i].items() if c not in CATEGORIES),
            ]
        return results

    def _score(self, category: str, probability: float, coverage: float, rule: Score | None):
        signals = tuple(rule.signals) if rule else ()
        context_signals = [s for s in signals if _is_context(s)]
        if rule is not None and context_signals and rule.score > probability:
            return Score(category, rule.score, rule.confidence, rule.assessor, signals)
        margin = abs(2 * probability - 1)
        labelled = ("text-model", *signals) if probability >= 0.5 else signals
        return Score(
            category,
            probability,
            confidence=float(margin * min(1.0, coverage)),
            assessor=self.name,
            signals=labelled,
        )
