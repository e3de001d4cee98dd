"""Training the ranked home timeline's learned model (hourly, ``ranking_train_task``).

The timeline itself, and the training examples, are reads:
:mod:`apps.feed.selectors.ranking`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.feed.models import RankingModel
from apps.feed.selectors.ranking import FEATURES, sigmoid, training_examples

KEPT_MODEL_VERSIONS = 10


@dataclass(frozen=True)
class TrainedWeights:
    weights: dict[str, float]
    log_loss: float


def fit_logistic_regression(
    examples: Sequence[tuple[dict[str, float], int]],
    *,
    iterations: int = 500,
    learning_rate: float = 1.0,
    l2: float = 0.001,
) -> TrainedWeights:
    """Batch gradient descent on the class-balanced log loss, with a little L2 shrinkage.

    ``examples`` are ``(features, label)`` pairs with both labels present.
    Deterministic: the same examples give the same weights.
    """
    positives = sum(label for _, label in examples)
    negatives = len(examples) - positives
    if not positives or not negatives:
        raise ValueError("both labels are needed to train")
    n = len(examples)
    class_weight = {1: n / (2.0 * positives), 0: n / (2.0 * negatives)}
    rows = [([features[name] for name in FEATURES], label) for features, label in examples]
    coefficients = [0.0] * len(FEATURES)
    bias = 0.0
    for _ in range(iterations):
        gradient = [0.0] * len(FEATURES)
        gradient_bias = 0.0
        for x, label in rows:
            z = bias + sum(w * v for w, v in zip(coefficients, x, strict=True))
            error = (sigmoid(z) - label) * class_weight[label]
            gradient_bias += error
            for i, value in enumerate(x):
                gradient[i] += error * value
        bias -= learning_rate * gradient_bias / n
        coefficients = [
            w - learning_rate * (g / n + l2 * w)
            for w, g in zip(coefficients, gradient, strict=True)
        ]
    loss = 0.0
    for x, label in rows:
        p = sigmoid(bias + sum(w * v for w, v in zip(coefficients, x, strict=True)))
        p = min(max(p, 1e-12), 1 - 1e-12)
        loss -= class_weight[label] * (label * math.log(p) + (1 - label) * math.log(1 - p))
    weights = {"bias": bias, **dict(zip(FEATURES, coefficients, strict=True))}
    return TrainedWeights(weights=weights, log_loss=loss / n)


def ranking_model_train(*, now: dt.datetime | None = None) -> RankingModel | None:
    """Train a new model version on recent interactions and make it the current one.

    Returns None (and keeps the current model) when there are fewer than
    ``FEED_RANKING_TRAINING_MIN_EXAMPLES`` positive or negative examples. Keeps the
    last ten versions. Safe to run twice: each run adds the next version.
    """
    now = now or timezone.now()
    examples = training_examples(now=now)
    positives = sum(label for _, label in examples)
    negatives = len(examples) - positives
    minimum = settings.FEED_RANKING_TRAINING_MIN_EXAMPLES
    if positives < minimum or negatives < minimum:
        return None
    trained = fit_logistic_regression(examples)
    with transaction.atomic():
        latest = RankingModel.objects.select_for_update().order_by("-version").first()
        model = RankingModel(
            version=(latest.version + 1) if latest else 1,
            weights=trained.weights,
            sample_count=len(examples),
            positive_count=positives,
            log_loss=trained.log_loss,
            trained_at=now,
        )
        model.full_clean()
        model.save()
        stale = RankingModel.objects.order_by("-version").values_list("pk", flat=True)[
            KEPT_MODEL_VERSIONS:
        ]
        RankingModel.objects.filter(pk__in=list(stale)).delete()
    return model
