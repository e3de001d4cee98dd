"""``manage.py moderation_train``: build the learned text model from a labelled corpus.

Reads JSON lines (``text`` and ``labels`` among offensive, spam, scam, pii) from the files
and directories given (by default the corpus's training part and the labelled set), fits the
n-gram models and the combiner (``apps.moderation.training``), and writes the model file
(``MODERATION_TEXT_MODEL`` unless ``--output``). Progress goes to standard error; the version
and the out-of-fold figures on the training corpus to standard output. The same corpus and
seed write the same bytes. Running workers pick a new file up when they restart.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.moderation.assessors import Context, Item, default_assessors
from apps.moderation.assessors.learned import TextModelAssessor
from apps.moderation.textmodel import CATEGORIES, model_write
from apps.moderation.training import (
    DEFAULT_C,
    DEFAULT_FOLDS,
    DEFAULT_SEED,
    CorpusError,
    corpus_files,
    corpus_read,
    train,
    training_meta,
)

DATA = Path(settings.BASE_DIR) / "tests" / "moderation" / "data"
DEFAULT_CORPUS = (DATA / "corpus" / "train", DATA / "labelled.jsonl")
RULES_BATCH = 256


def rule_scores(texts) -> tuple[np.ndarray, list[list[str]]]:
    """Texts x categories: the rule assessors' scores, and per text the signals they fired,
    as the model's combiner sees them live."""
    [text_assessor] = [a for a in default_assessors() if isinstance(a, TextModelAssessor)]
    context = Context(record=False)
    rows, signals = [], []
    for start in range(0, len(texts), RULES_BATCH):
        batch = [
            Item(key=str(start + i), text=t)
            for i, t in enumerate(texts[start : start + RULES_BATCH])
        ]
        for found in text_assessor.rules_assess(batch, context):
            rows.append([found[c].score if c in found else 0.0 for c in CATEGORIES])
            signals.append([signal for score in found.values() for signal in score.signals])
    return np.array(rows, dtype=np.float64), signals


class Command(BaseCommand):
    help = "Train the moderation text model from a labelled corpus and write the model file."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "corpus",
            nargs="*",
            type=Path,
            help="JSON-lines files or directories of them (default: the corpus's training part "
            "and the labelled set).",
        )
        parser.add_argument(
            "--output", type=Path, help="Model file (default MODERATION_TEXT_MODEL)."
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--folds", type=int, default=DEFAULT_FOLDS)
        parser.add_argument("--c", type=float, default=DEFAULT_C, help="Inverse regularisation.")

    def handle(self, *args, corpus, output, seed, folds, c, **options) -> None:
        if folds < 2:
            raise CommandError("--folds must be at least 2")
        if c <= 0:
            raise CommandError("--c must be positive")
        output = output or (
            Path(settings.MODERATION_TEXT_MODEL) if settings.MODERATION_TEXT_MODEL else None
        )
        if output is None:
            raise CommandError("MODERATION_TEXT_MODEL is empty: give --output")
        try:
            files = corpus_files(corpus or DEFAULT_CORPUS)
            examples = corpus_read(files)
            model, report = train(
                examples,
                rules=rule_scores,
                seed=seed,
                folds=folds,
                c=c,
                progress=lambda message: self.stderr.write(message),
            )
        except CorpusError as error:
            raise CommandError(str(error)) from None
        model.meta = training_meta(files=files, seed=seed, folds=folds, c=c, report=report)
        try:
            version = model_write(model, output)
        except OSError as error:
            raise CommandError(f"{output}: cannot write ({error.strerror})") from None
        self.stdout.write(f"wrote {output} ({output.stat().st_size:,} bytes), version {version}")
        self.stdout.write(f"trained on {report.examples} texts from {len(files)} file(s)")
        self.stdout.write("out-of-fold on the training corpus (score >= 0.5):")
        for category in CATEGORIES:
            figures = report.cross_validated[category]
            self.stdout.write(
                f"  {category:10} {report.positives[category]:5} labelled  "
                f"precision {figures['precision']:.2f}  recall {figures['recall']:.2f}"
            )
