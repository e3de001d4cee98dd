"""Offensive language: alt-profanity-check's trained classifier (TF-IDF and a calibrated linear SVM).

The model ships with the package and runs offline. Scoring a batch costs about
what scoring one text does, so callers pass batches. For single texts the
package's ``predict_proba`` spends ~2 ms in scikit-learn's input validation; the
calibrated linear model is evaluated here directly with numpy instead, after
checking at load time that it gives the package's own probabilities (otherwise
the package's function is used). A handful of texts (what the Celery task
scores) skip the sparse matrix altogether (:class:`_SingleText`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property
from importlib import metadata

import numpy as np

from .base import Context, Item, Score

URL_RE = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
MENTION_RE = re.compile(r"@[\w.-]+(?:@[\w.-]+)?")
# Whether the text addresses someone: moderators weigh "you idiot" above "I hate Mondays".
ADDRESSED_RE = re.compile(r"(?<![\w@])(?:@\w|(?:you|your|you're|youre|ur|u|ya|yourself)\b)", re.I)
# Up to this many texts, scoring them one by one beats building a sparse matrix.
SINGLE_TEXT_LIMIT = 4
PROBE_TEXTS = (
    "have a lovely day",
    "you are a fucking idiot",
    "this exam was killer",
    "shut up you stupid piece of shit",
    "",
)


def classifier_text(text: str) -> str:
    """The words the classifier should judge: links and @mentions are not language."""
    return MENTION_RE.sub(" ", URL_RE.sub(" ", text))


class _LinearCalibrated:
    """``CalibratedClassifierCV(LinearSVC, method="sigmoid")`` as plain matrix arithmetic."""

    def __init__(self, model) -> None:
        coefs, intercepts, slopes, offsets = [], [], [], []
        for calibrated in model.calibrated_classifiers_:
            if calibrated.method != "sigmoid" or len(calibrated.calibrators) != 1:
                raise ValueError("not a binary sigmoid calibration")
            estimator = calibrated.estimator
            coefs.append(np.asarray(estimator.coef_).ravel())
            intercepts.append(float(np.asarray(estimator.intercept_).ravel()[0]))
            slopes.append(calibrated.calibrators[0].a_)
            offsets.append(calibrated.calibrators[0].b_)
        if list(model.classes_) != [0, 1]:
            raise ValueError("unexpected classes")
        self.coef = np.vstack(coefs).T  # features x classifiers
        self.intercept = np.asarray(intercepts)
        self.slope = np.asarray(slopes)
        self.offset = np.asarray(offsets)

    def predict_prob(self, features) -> np.ndarray:
        decision = features @ self.coef + self.intercept
        probability = 1.0 / (1.0 + np.exp(self.slope * decision + self.offset))
        return probability.mean(axis=1)


class _SingleText:
    """TF-IDF (l2-normalised, unsmoothed counts) for one text without building a sparse matrix.

    For one text scikit-learn's ``transform`` spends most of its ~0.25 ms checking
    and assembling; the same arithmetic over the text's few tokens takes microseconds.
    Only for the vectorizer's plain word settings (checked here); otherwise not used.
    """

    def __init__(self, vectorizer, linear: _LinearCalibrated) -> None:
        params = vectorizer.get_params()
        expected = {
            "analyzer": "word",
            "binary": False,
            "ngram_range": (1, 1),
            "norm": "l2",
            "sublinear_tf": False,
            "use_idf": True,
        }
        if any(params.get(key) != value for key, value in expected.items()):
            raise ValueError("unsupported vectorizer settings")
        self.analyze = vectorizer.build_analyzer()
        self.vocabulary = vectorizer.vocabulary_
        self.idf = np.asarray(vectorizer.idf_)
        self.linear = linear

    def predict_prob(self, text: str) -> float:
        counts: dict[int, int] = {}
        for token in self.analyze(text):
            index = self.vocabulary.get(token)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        linear = self.linear
        if counts:
            indexes = np.fromiter(counts, dtype=np.int64, count=len(counts))
            weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            weights *= self.idf[indexes]
            weights /= np.sqrt(weights @ weights)
            decision = weights @ linear.coef[indexes] + linear.intercept
        else:
            decision = linear.intercept
        probability = 1.0 / (1.0 + np.exp(linear.slope * decision + linear.offset))
        return float(probability.mean())


class OffensiveAssessor:
    name = "profanity"
    categories = ("offensive",)

    @cached_property
    def _module(self):
        from profanity_check import profanity_check

        return profanity_check

    @cached_property
    def _fast(self) -> _LinearCalibrated | None:
        module = self._module
        try:
            fast = _LinearCalibrated(module.model)
            expected = module.predict_prob(list(PROBE_TEXTS))
            got = fast.predict_prob(module.vectorizer.transform(list(PROBE_TEXTS)))
        except (AttributeError, ValueError, TypeError):
            return None
        return fast if np.allclose(expected, got, atol=1e-9) else None

    @cached_property
    def _single(self) -> _SingleText | None:
        if self._fast is None:
            return None
        try:
            single = _SingleText(self._module.vectorizer, self._fast)
            expected = self._module.predict_prob(list(PROBE_TEXTS))
            got = [single.predict_prob(text) for text in PROBE_TEXTS]
        except (AttributeError, ValueError, TypeError):
            return None
        return single if np.allclose(expected, got, atol=1e-9) else None

    @cached_property
    def version(self) -> str:
        return (
            f"alt-profanity-check {metadata.version('alt-profanity-check')}"
            f" (scikit-learn {metadata.version('scikit-learn')})"
        )

    def load(self) -> None:
        """Load the model now (a worker does it once, not on its first post)."""
        _ = self._single

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """The classifier's probability that each text is offensive, in one batch."""
        if not texts:
            return []
        if len(texts) <= SINGLE_TEXT_LIMIT and self._single is not None:
            return [self._single.predict_prob(text) for text in texts]
        if self._fast is None:
            return [float(p) for p in self._module.predict_prob(list(texts))]
        features = self._module.vectorizer.transform(list(texts))
        return [float(p) for p in self._fast.predict_prob(features)]

    @staticmethod
    def _signals(text: str, probability: float) -> tuple[str, ...]:
        if probability < 0.5:
            return ()
        return ("classifier", "addressed") if ADDRESSED_RE.search(text) else ("classifier",)

    def assess(self, items: Sequence[Item], context: Context) -> list[list[Score]]:
        results: list[list[Score]] = [[] for _ in items]
        cleaned = [classifier_text(item.text).strip() for item in items]
        indexes = [i for i, text in enumerate(cleaned) if text]
        probabilities = self.probabilities([cleaned[i] for i in indexes])
        for i, probability in zip(indexes, probabilities, strict=True):
            results[i] = [
                Score(
                    "offensive",
                    probability,
                    confidence=abs(probability - 0.5) * 2,
                    assessor=self.name,
                    signals=self._signals(items[i].text, probability),
                )
            ]
        for i, text in enumerate(cleaned):
            if not text:
                results[i] = [Score("offensive", 0.0, confidence=1.0, assessor=self.name)]
        return results
