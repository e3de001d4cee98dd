"""The ranked home timeline (``GET /api/agora/v1/timelines/ranked``) and its learned model.

A status's score mixes four components, each in [0, 1], with the weights of
``FEED_RANKING_WEIGHTS``:

- **recency**: ``0.5 ** (age / FEED_RANKING_HALF_LIFE_HOURS)``;
- **engagement**: favourites + 2 × replies + 3 × reblogs (of the original, for a
  reblog), as ``log1p(raw) / log1p(max raw)`` across the candidates, so one viral
  status does not flatten every other;
- **affinity**: the viewer's favourites, reblogs and replies of the author in the
  last ``FEED_RANKING_AFFINITY_DAYS``, normalised the same way (0 for the viewer's
  own statuses);
- **learned**: the probability of an interaction given the three features above,
  from the newest :class:`~apps.feed.models.RankingModel` (a logistic regression
  trained hourly by ``ranking_train_task``), 0 until a model exists.

Candidates are the viewer's home timeline (their own statuses and those of the
accounts they follow, visible to them, minus muted accounts and reblogs of follows
with reblogs off) of the last ``FEED_RANKING_WINDOW_HOURS``, at most
``FEED_RANKING_MAX_CANDIDATES`` of the newest. A status reblogged into the feed
more than once appears once, in its best-ranked form.

Training the model is a write: :mod:`apps.feed.services.ranking`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from apps.feed.models import Favourite, RankingModel, Status
from apps.feed.selectors.statuses import statuses_in_order
from apps.feed.selectors.timelines import home_queryset

FEATURES = ("recency", "engagement", "affinity")


COMPONENTS = (*FEATURES, "learned")


@dataclass(frozen=True)
class Candidate:
    """A home timeline status, with what its score needs."""

    status_id: int
    content_id: int
    author_id: int
    created_at: dt.datetime
    engagement: int


@dataclass(frozen=True)
class RankedStatus:
    """A status's place in the ranked timeline and why: each component and the total."""

    status_id: int
    score: float
    components: dict[str, float]
    model_version: int | None

    def explanation(self, weights: dict[str, float]) -> dict:
        """The ``agora_ranking`` object of the API."""
        return {
            "score": round(self.score, 6),
            "model_version": self.model_version,
            "components": {
                name: {
                    "value": round(self.components[name], 6),
                    "weight": weights[name],
                    "contribution": round(weights[name] * self.components[name], 6),
                }
                for name in COMPONENTS
            },
        }


def ranking_weights() -> dict[str, float]:
    """The component weights from settings (``FEED_RANKING_WEIGHTS``); missing ones weigh 0."""
    configured = settings.FEED_RANKING_WEIGHTS
    return {name: float(configured.get(name, 0.0)) for name in COMPONENTS}


def home_candidates(*, viewer, now: dt.datetime) -> list[Candidate]:
    """The newest home timeline statuses of the window, in one query."""
    since = now - dt.timedelta(hours=settings.FEED_RANKING_WINDOW_HOURS)
    rows = (
        home_queryset(viewer)
        .filter(created_at__gte=since, created_at__lte=now)
        .order_by("-id")
        .values_list(
            "id", "created_at", "account_id", "favourites_count", "replies_count",
            "reblogs_count", "reblog_of_id", "reblog_of__account_id",
            "reblog_of__favourites_count", "reblog_of__replies_count",
            "reblog_of__reblogs_count",
        )[: settings.FEED_RANKING_MAX_CANDIDATES]
    )  # fmt: skip
    candidates = []
    for (
        status_id, created_at, account_id, favourites, replies, reblogs,
        original_id, original_account_id, original_favourites, original_replies, original_reblogs,
    ) in rows:  # fmt: skip
        if original_id is not None:
            favourites, replies, reblogs = original_favourites, original_replies, original_reblogs
        candidates.append(
            Candidate(
                status_id=status_id,
                content_id=original_id or status_id,
                author_id=original_account_id or account_id,
                created_at=created_at,
                engagement=favourites + 2 * replies + 3 * reblogs,
            )
        )
    return candidates


def affinity_counts(*, viewer, author_ids: set[int], now: dt.datetime) -> dict[int, int]:
    """The viewer's favourites, reblogs and replies of each author's statuses, lately.

    Three aggregate queries whatever the number of authors; the viewer has no
    affinity with themself.
    """
    author_ids = author_ids - {viewer.pk}
    if not author_ids:
        return {}
    since = now - dt.timedelta(days=settings.FEED_RANKING_AFFINITY_DAYS)
    counts: dict[int, int] = {}
    favourites = (
        Favourite.objects.filter(
            account=viewer, created_at__gte=since, status__account_id__in=author_ids
        )
        .values_list("status__account_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    reblogs = (
        Status.objects.filter(
            account=viewer, created_at__gte=since, reblog_of__account_id__in=author_ids
        )
        .values_list("reblog_of__account_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    replies = (
        Status.objects.filter(
            account=viewer, created_at__gte=since, in_reply_to_account_id__in=author_ids
        )
        .values_list("in_reply_to_account_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for queryset in (favourites, reblogs, replies):
        for author_id, n in queryset:
            counts[author_id] = counts.get(author_id, 0) + n
    return counts


def _log_normalised(value: int, largest: int) -> float:
    return math.log1p(value) / math.log1p(largest) if largest > 0 else 0.0


def candidate_features(
    *, viewer, candidates: Sequence[Candidate], now: dt.datetime
) -> list[dict[str, float]]:
    """Recency, engagement and affinity of each candidate, in [0, 1]."""
    if not candidates:
        return []
    affinity = affinity_counts(viewer=viewer, author_ids={c.author_id for c in candidates}, now=now)
    most_engaged = max(c.engagement for c in candidates)
    most_affine = max((affinity.get(c.author_id, 0) for c in candidates), default=0)
    half_life = settings.FEED_RANKING_HALF_LIFE_HOURS
    features = []
    for candidate in candidates:
        age_hours = max((now - candidate.created_at).total_seconds(), 0.0) / 3600.0
        features.append(
            {
                "recency": 0.5 ** (age_hours / half_life),
                "engagement": _log_normalised(candidate.engagement, most_engaged),
                "affinity": _log_normalised(affinity.get(candidate.author_id, 0), most_affine),
            }
        )
    return features


def sigmoid(z: float) -> float:
    """The logistic function, without overflow for large ``|z|``."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def model_probability(weights: dict[str, float], features: dict[str, float]) -> float:
    """The logistic model's probability of an interaction for one candidate."""
    z = weights.get("bias", 0.0) + sum(weights.get(name, 0.0) * features[name] for name in FEATURES)
    return sigmoid(z)


def current_model() -> RankingModel | None:
    """The newest trained model, or None before the first training."""
    return RankingModel.objects.order_by("-version").first()


def rank_home(*, viewer, now: dt.datetime | None = None) -> list[RankedStatus]:
    """Every candidate of the viewer's home timeline, best first (ties: newest first)."""
    now = now or timezone.now()
    candidates = home_candidates(viewer=viewer, now=now)
    features = candidate_features(viewer=viewer, candidates=candidates, now=now)
    model = current_model() if candidates else None
    weights = ranking_weights()
    ranked = []
    for candidate, values in zip(candidates, features, strict=True):
        learned = model_probability(model.weights, values) if model else 0.0
        components = {**values, "learned": learned}
        score = sum(weights[name] * components[name] for name in COMPONENTS)
        ranked.append(
            (
                candidate.content_id,
                RankedStatus(
                    status_id=candidate.status_id,
                    score=score,
                    components=components,
                    model_version=model.version if model else None,
                ),
            )
        )
    ranked.sort(key=lambda item: (-item[1].score, -item[1].status_id))
    seen: set[int] = set()
    unique = []
    for content_id, entry in ranked:
        if content_id not in seen:
            seen.add(content_id)
            unique.append(entry)
    return unique


def ranked_timeline(
    *, viewer, limit: int, offset: int = 0, now: dt.datetime | None = None
) -> list[tuple[Status, RankedStatus]]:
    """One page of the ranked home timeline: statuses with their ranking, best first.

    Pages are by ``offset`` into the ranking at the time of the request, not by id:
    as time passes scores change, so a later page may repeat or skip a status that
    moved across the page boundary.
    """
    page = rank_home(viewer=viewer, now=now)[offset : offset + limit]
    statuses = {s.pk: s for s in statuses_in_order([e.status_id for e in page])}
    return [(statuses[e.status_id], e) for e in page if e.status_id in statuses]


def _training_accounts(*, now: dt.datetime) -> list[int]:
    """The accounts that favourited, reblogged or replied most recently (at most the setting)."""
    since = now - dt.timedelta(days=settings.FEED_RANKING_AFFINITY_DAYS)
    limit = settings.FEED_RANKING_TRAINING_ACCOUNTS
    latest: dict[int, dt.datetime] = {}
    favourites = (
        Favourite.objects.filter(created_at__gte=since, account__is_active=True)
        .values_list("account_id")
        .annotate(last=Max("created_at"))
        .order_by("-last")[:limit]
    )
    interactions = (
        Status.objects.filter(created_at__gte=since, account__is_active=True)
        .filter(Q(reblog_of__isnull=False) | Q(in_reply_to__isnull=False))
        .values_list("account_id")
        .annotate(last=Max("created_at"))
        .order_by("-last")[:limit]
    )
    for queryset in (favourites, interactions):
        for account_id, last in queryset:
            if account_id not in latest or latest[account_id] < last:
                latest[account_id] = last
    return sorted(latest, key=lambda account_id: latest[account_id], reverse=True)[:limit]


def _interacted_status_ids(*, viewer, status_ids: set[int]) -> set[int]:
    favourited = Favourite.objects.filter(account=viewer, status_id__in=status_ids).values_list(
        "status_id", flat=True
    )
    reblogged = Status.objects.filter(account=viewer, reblog_of_id__in=status_ids).values_list(
        "reblog_of_id", flat=True
    )
    replied = Status.objects.filter(account=viewer, in_reply_to_id__in=status_ids).values_list(
        "in_reply_to_id", flat=True
    )
    return set(favourited) | set(reblogged) | set(replied)


def training_examples(*, now: dt.datetime) -> list[tuple[dict[str, float], int]]:
    """``(features, label)`` for the home candidates of recently interacting accounts.

    The label is 1 when the account favourited, reblogged or replied to the status.
    The account's own statuses are left out.
    """
    from django.contrib.auth import get_user_model

    accounts = get_user_model().objects.in_bulk(_training_accounts(now=now))
    examples: list[tuple[dict[str, float], int]] = []
    for account in accounts.values():
        candidates = [
            c
            for c in home_candidates(viewer=account, now=now)
            if c.author_id != account.pk and c.status_id == c.content_id
        ]
        if not candidates:
            continue
        interacted = _interacted_status_ids(
            viewer=account, status_ids={c.content_id for c in candidates}
        )
        features = candidate_features(viewer=account, candidates=candidates, now=now)
        examples.extend(
            (values, int(candidate.content_id in interacted))
            for candidate, values in zip(candidates, features, strict=True)
        )
    return examples
