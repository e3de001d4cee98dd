"""Training the learned text model (``manage.py moderation_train``) from a labelled corpus.

Two stages, both logistic regressions from scikit-learn:

1. per category, a linear model over hashed character and word n-grams of the text;
2. per category, a combiner over the first stage's logits of every category and the rule
   assessors' scores, fitted on out-of-fold predictions of stage 1 (each text scored by a
   model that did not train on it), so it learns how far to trust the n-grams on text they
   have not seen.

Everything is seeded and single-threaded, so the same corpus and seed write the same file.
Files under a directory named ``blind`` are refused: that part of the corpus is for scoring only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .textmodel import (
    CATEGORIES,
    SIGNAL_FLAGS,
    FeatureSpec,
    Featuriser,
    TextModel,
    logit,
    rule_evidence,
)

DEFAULT_SEED = 20261203
DEFAULT_FOLDS = 5
# Inverse regularisation strength of the n-gram models and of the combiner.
DEFAULT_C = 10.0
COMBINER_C = 1.0
# The combiner is fitted on the corpus as it is (no class weights), so its score is a
# probability at the corpus's mix; "balanced" weights bought recall with far too much
# precision (out of fold: offensive 0.53 precision at 0.88 recall).
COMBINER_WEIGHT: str | None = None
# Labels judged by other assessors (blocklisted links, known media): such rows are not
# evidence about the text categories either way, so they are left out.
OTHER_LABELS = frozenset({"link", "media_match"})


class CorpusError(Exception):
    """The corpus cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    text: str
    labels: frozenset[str]
    source: str


@dataclass
class Report:
    """What training measured, on the training corpus only (out-of-fold)."""

    examples: int
    positives: dict[str, int]
    # category -> {"precision", "recall"} at 0.5, the combiner's out-of-fold predictions.
    cross_validated: dict[str, dict[str, float]] = field(default_factory=dict)


def corpus_files(paths: Iterable[Path]) -> list[Path]:
    """The JSON-lines files named by ``paths`` (directories give their ``*.jsonl``), sorted."""
    files: list[Path] = []
    for path in paths:
        if "blind" in path.resolve().parts:
            raise CorpusError(f"{path}: the blind part of a corpus is for scoring, never training")
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                raise CorpusError(f"{path}: no .jsonl files in this directory")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise CorpusError(f"{path}: no such file or directory")
    return files


def corpus_read(files: Sequence[Path]) -> list[Example]:
    """Every labelled line of ``files``; the first bad line stops it with its file and number."""
    examples: list[Example] = []
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise CorpusError(f"{path}: cannot read ({error})") from None
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise CorpusError(f"{path}:{number}: not valid JSON ({error.msg})") from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise CorpusError(f"{path}:{number}: expected an object with a text string")
            labels = record.get("labels", [])
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise CorpusError(f"{path}:{number}: labels must be a list of strings")
            unknown = set(labels) - set(CATEGORIES) - OTHER_LABELS
            if unknown:
                raise CorpusError(f"{path}:{number}: unknown label(s) {sorted(unknown)}")
            if OTHER_LABELS & set(labels):
                continue
            examples.append(Example(record["text"], frozenset(labels), path.name))
    if not examples:
        raise CorpusError("the corpus has no labelled lines")
    return examples


def corpus_digest(files: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _linear(c: float, seed: int):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=c, class_weight="balanced", solver="liblinear", max_iter=5000, random_state=seed
    )


def _precision_recall(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    hits = int((truth & predicted).sum())
    return {
        "precision": round(hits / max(int(predicted.sum()), 1), 4),
        "recall": round(hits / max(int(truth.sum()), 1), 4),
    }


def train(
    examples: Sequence[Example],
    *,
    rules: Callable[[Sequence[str]], tuple[np.ndarray, list[list[str]]]],
    seed: int = DEFAULT_SEED,
    folds: int = DEFAULT_FOLDS,
    c: float = DEFAULT_C,
    spec: FeatureSpec | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> tuple[TextModel, Report]:
    """Fit both stages on ``examples``; ``rules(texts)`` gives the rule assessors' scores
    (texts x categories) and the signals they fired (per text)."""
    from sklearn.model_selection import StratifiedKFold

    spec = spec or FeatureSpec()
    texts = [example.text for example in examples]
    truth = np.array(
        [[category in example.labels for category in CATEGORIES] for example in examples]
    )
    for index, category in enumerate(CATEGORIES):
        if truth[:, index].sum() < folds or (~truth[:, index]).sum() < folds:
            raise CorpusError(
                f"{category}: needs at least {folds} labelled and {folds} unlabelled examples"
            )
    progress(f"featurising {len(texts)} texts")
    features = Featuriser(spec).transform(texts)
    progress("scoring them with the rule assessors")
    rule_scores, rule_signals = rules(texts)
    evidence = rule_evidence(texts, rule_scores, rule_signals, SIGNAL_FLAGS)

    # Stage 1 out of fold: every text scored by models that never saw it.
    strata = ["+".join(sorted(example.labels)) or "-" for example in examples]
    counts: dict[str, int] = {}
    for stratum in strata:
        counts[stratum] = counts.get(stratum, 0) + 1
    # A label combination too rare to stratify joins its first label's stratum (or the largest).
    largest = max(counts, key=lambda s: counts[s])

    def common(stratum: str) -> str:
        if counts[stratum] >= folds:
            return stratum
        first = stratum.split("+")[0]
        return first if counts.get(first, 0) >= folds else largest

    strata = [common(s) for s in strata]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(texts, strata))
    out_of_fold = np.zeros(truth.shape)
    for fold, (fit_rows, held_rows) in enumerate(splits, start=1):
        progress(f"fold {fold}/{folds}")
        for index in range(len(CATEGORIES)):
            model = _linear(c, seed).fit(features[fit_rows], truth[fit_rows, index])
            out_of_fold[held_rows, index] = model.predict_proba(features[held_rows])[:, 1]

    progress("fitting the n-gram models on every text")
    coef = np.zeros((spec.size, len(CATEGORIES)), dtype=np.float32)
    intercept = np.zeros(len(CATEGORIES))
    for index in range(len(CATEGORIES)):
        model = _linear(c, seed).fit(features, truth[:, index])
        coef[:, index] = model.coef_.ravel()
        intercept[index] = float(model.intercept_[0])

    progress("fitting the combiner on the out-of-fold scores")
    stacked_model = TextModel(
        spec=spec,
        categories=CATEGORIES,
        coef=coef,
        intercept=intercept,
        stack_coef=np.zeros((len(CATEGORIES), len(CATEGORIES) + evidence.shape[1])),
        stack_intercept=np.zeros(len(CATEGORIES)),
        seen=np.asarray(features.getnnz(axis=0) > 0),
        meta={},
    )
    stacked = np.hstack([logit(out_of_fold), evidence])
    combined_out_of_fold = np.zeros(truth.shape)
    for index in range(len(CATEGORIES)):
        combiner = _linear(COMBINER_C, seed).set_params(class_weight=COMBINER_WEIGHT)
        combiner.fit(stacked, truth[:, index])
        stacked_model.stack_coef[index] = combiner.coef_.ravel()
        stacked_model.stack_intercept[index] = float(combiner.intercept_[0])
        # The combiner's own figures, again out of fold.
        for fit_rows, held_rows in splits:
            held_out = _linear(COMBINER_C, seed).set_params(class_weight=COMBINER_WEIGHT)
            held_out.fit(stacked[fit_rows], truth[fit_rows, index])
            combined_out_of_fold[held_rows, index] = held_out.predict_proba(stacked[held_rows])[
                :, 1
            ]

    report = Report(
        examples=len(examples),
        positives={c_: int(truth[:, i].sum()) for i, c_ in enumerate(CATEGORIES)},
        cross_validated={
            category: _precision_recall(truth[:, i], combined_out_of_fold[:, i] >= 0.5)
            for i, category in enumerate(CATEGORIES)
        },
    )
    return stacked_model, report


def training_meta(
    *, files: Sequence[Path], seed: int, folds: int, c: float, report: Report
) -> dict[str, Any]:
    from importlib import metadata

    return {
        "corpus": {
            "files": [path.name for path in files],
            "sha256": corpus_digest(files),
            "examples": report.examples,
            "positives": report.positives,
        },
        "training": {
            "seed": seed,
            "folds": folds,
            "c": c,
            "combiner_c": COMBINER_C,
            "scikit-learn": metadata.version("scikit-learn"),
            "numpy": metadata.version("numpy"),
        },
        "cross_validated": report.cross_validated,
    }
