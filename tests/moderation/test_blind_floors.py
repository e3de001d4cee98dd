"""The pipeline's figures on the corpus's blind part, held as floors (issue 13).

The blind part (``data/corpus/blind``) was written by people who never saw the assessors,
and nobody building them reads it. This test scores it, as ``bench/moderation.py`` does, and
fails when a change makes any figure worse than the floor measured when the floors were set.
Failures print figures only, never a post. Raising a floor is fine after a real improvement;
lowering one needs a reason in the commit message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.moderation.assessors import Context, Item, assess
from apps.moderation.policies import decide, policies_load

BLIND = Path(__file__).parent / "data" / "corpus" / "blind"
DETECTION_SCORE = 0.5
BATCH = 256
# (precision, recall) measured with the shipped model on the blind part, rounded down.
FLOORS = {
    "offensive": (0.81, 0.79),
    "spam": (0.85, 0.87),
    "scam": (0.84, 0.85),
    "pii": (0.87, 0.89),
    "any harm": (0.87, 0.86),
}
# Clean decoys (1,020) the pipeline would hide or remove (not merely queue), at most.
MOST_DECOYS_HIDDEN = 15
# Of them, ordinary everyday posts (400, ``blind/everyday.jsonl``): hidden, and queued.
MOST_ORDINARY_HIDDEN = 1
MOST_ORDINARY_QUEUED = 6


_scored: list = []


@pytest.fixture
def scored(db):
    """Rows, results and decisions of the blind part (scored once for the module)."""
    if not _scored:
        rows = []
        for path in sorted(BLIND.glob("*.jsonl")):
            rows.extend(json.loads(line) for line in path.read_text("utf-8").splitlines() if line)
        policies = policies_load()
        results = []
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            items = [Item(key=row["id"], text=row["text"]) for row in batch]
            results.extend(assess(items, Context(record=False)))
        decisions = [
            decide(result.score_values(), policies, result.confidences()).decision
            for result in results
        ]
        _scored.append((rows, results, decisions))
    return _scored[0]


def figures(scored, category: str) -> tuple[float, float]:
    rows, results, decisions = scored
    tp = fp = fn = 0
    for row, result, decision in zip(rows, results, decisions, strict=True):
        if category == "any harm":
            truth, guess = bool(row["labels"]), decision != "allow"
        else:
            truth = category in row["labels"]
            guess = result.score_of(category) >= DETECTION_SCORE
        tp += truth and guess
        fp += guess and not truth
        fn += truth and not guess
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1)


@pytest.mark.parametrize("category", list(FLOORS))
def test_the_blind_figures_hold(scored, category):
    precision, recall = figures(scored, category)
    floor_precision, floor_recall = FLOORS[category]
    assert precision >= floor_precision, (
        f"{category}: blind precision fell to {precision:.3f} (floor {floor_precision})"
    )
    assert recall >= floor_recall, (
        f"{category}: blind recall fell to {recall:.3f} (floor {floor_recall})"
    )


def test_few_clean_decoys_are_hidden(scored):
    rows, _results, decisions = scored
    hidden = sum(
        1
        for row, decision in zip(rows, decisions, strict=True)
        if not row["labels"] and decision in ("hide", "remove")
    )
    assert hidden <= MOST_DECOYS_HIDDEN, f"{hidden} clean decoys hidden or removed"


def test_ordinary_posts_are_left_alone(scored):
    rows, _results, decisions = scored
    ordinary = [d for row, d in zip(rows, decisions, strict=True) if "everyday" in row["id"]]
    assert len(ordinary) == 400
    hidden = sum(1 for d in ordinary if d in ("hide", "remove"))
    queued = sum(1 for d in ordinary if d == "queue")
    assert hidden <= MOST_ORDINARY_HIDDEN, f"{hidden} ordinary posts hidden or removed"
    assert queued <= MOST_ORDINARY_QUEUED, f"{queued} ordinary posts queued for a person"
