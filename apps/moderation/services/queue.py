"""The review queue: a case's priority, opening or joining the open case, and the queue gauge.

:func:`queue_for_review` is the automated pipeline's way in; reports come in
through :mod:`.reports`, which opens or joins the same case with
:func:`case_open_or_join`.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from typing import Literal, TypedDict

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.moderation import selectors
from apps.moderation.audit import case_snapshot
from apps.moderation.metrics import moderation_queue_overdue, moderation_queue_size
from apps.moderation.models import Case
from core import audit

User = get_user_model()
logger = logging.getLogger(__name__)

# Weights of the queue priority: automated score (0..1), reach (log10 of followers and
# engagement), and the summed trust (0..1 each) of the reporters.
SCORE_WEIGHT = 3.0
REACH_WEIGHT = 0.5
REPORTER_WEIGHT = 1.0

# Priority and the queue ------------------------------------------------------


def case_priority(*, score: float, reach: int, reporter_weight: float) -> float:
    """Grows with the automated score, the content's reach and the reporters' trust."""
    return round(
        SCORE_WEIGHT * max(0.0, min(score, 1.0))
        + REACH_WEIGHT * math.log10(1 + max(reach, 0))
        + REPORTER_WEIGHT * max(reporter_weight, 0.0),
        4,
    )


def content_reach(*, content_type: str, content_id: int, author_id: int) -> int:
    """How many people the content reaches: the author's followers plus its engagement."""
    followers = User.objects.filter(pk=author_id).values_list("followers_count", flat=True).first()
    reach = followers or 0
    if content_type == "status":
        from apps.feed.models import Status

        counts = (
            Status.objects.filter(pk=content_id)
            .values_list("favourites_count", "reblogs_count", "replies_count")
            .first()
        )
        if counts:
            favourites, reblogs, replies = counts
            reach += favourites + 2 * reblogs + replies
    return reach


def case_recompute(case: Case) -> None:
    """Refresh the case's reach, priority and SLA from its score, content and reporters."""
    case.reach = content_reach(
        content_type=case.content_type, content_id=case.content_id, author_id=case.author_id
    )
    case.priority = case_priority(
        score=case.score, reach=case.reach, reporter_weight=case.reporter_weight
    )
    due = selectors.sla_due(case)
    case.sla_due_at = min(case.sla_due_at, due) if case.sla_due_at else due


# The queue gauge reads the database when /metrics is scraped (in every process), at most
# once per QUEUE_METRICS_MAX_AGE seconds; changes made here mark it stale, so the next
# scrape reads it afresh. They do not count the queue themselves: that is one aggregate
# over every open case, and the pipeline queues cases many times between two scrapes.
QUEUE_METRICS_MAX_AGE = 10.0


class _QueueSizes(TypedDict):
    at: float  # time.monotonic() of the last read
    sizes: dict[str, int]
    overdue: dict[str, int]


_queue_sizes: _QueueSizes = {
    "at": float("-inf"),
    "sizes": {"high": 0, "medium": 0, "low": 0},
    "overdue": {"high": 0, "medium": 0, "low": 0},
}


def queue_metrics_refresh() -> dict[str, int]:
    """Read the open cases per priority band, and those past their SLA, for the gauges.

    ``moderation_queue_size{priority}`` and ``moderation_queue_overdue{priority}``;
    answers the sizes.
    """
    stats = selectors.queue_stats(now=timezone.now())
    _queue_sizes.update(
        {"at": time.monotonic(), "sizes": stats["sizes"], "overdue": stats["overdue"]}
    )
    return stats["sizes"]


def _queue_band_value(figure: Literal["sizes", "overdue"], band: str) -> float:
    if time.monotonic() - _queue_sizes["at"] > QUEUE_METRICS_MAX_AGE:
        try:
            queue_metrics_refresh()
        except Exception:  # a gauge that raises fails the whole scrape
            logger.warning("moderation queue size unavailable", exc_info=True)
    return float(_queue_sizes[figure].get(band, 0))


def queue_metrics_connect() -> None:
    """Make ``moderation_queue_size`` and ``moderation_queue_overdue`` current when collected."""
    for band in ("high", "medium", "low"):
        moderation_queue_size.labels(priority=band).set_function(
            functools.partial(_queue_band_value, "sizes", band)
        )
        moderation_queue_overdue.labels(priority=band).set_function(
            functools.partial(_queue_band_value, "overdue", band)
        )


def queue_metrics_stale() -> None:
    """Have the next collection of the queue gauges read the database."""
    _queue_sizes["at"] = float("-inf")


def refresh_metrics_on_commit() -> None:
    """Once the current transaction commits, the queue gauges are stale (``queue_metrics_stale``)."""
    transaction.on_commit(queue_metrics_stale)


def _open_case_locked(*, content_type: str, content_id: int) -> Case | None:
    return (
        Case.objects.select_for_update()
        .filter(content_type=content_type, content_id=content_id, state=Case.State.OPEN)
        .first()
    )


def case_open_or_join(
    *, content_type: str, content_id: int, author_id: int, category: str, source: str
) -> tuple[Case, bool]:
    """The open case about the content, locked; created when there is none. Call in atomic()."""
    case = _open_case_locked(content_type=content_type, content_id=content_id)
    if case is not None:
        return case, False
    try:
        with transaction.atomic():
            case = Case(
                content_type=content_type,
                content_id=content_id,
                author_id=author_id,
                category=category,
                source=source,
            )
            case.save()
            return case, True
    except IntegrityError:
        # Another transaction opened it at the same moment: join theirs.
        case = _open_case_locked(content_type=content_type, content_id=content_id)
        if case is None:
            raise
        return case, False


def queue_for_review(
    *,
    content_type: str,
    content_id: int,
    author_id: int,
    category: str,
    score: float,
    source: str = "automated",
    assessment=None,
    hidden: bool = False,
) -> Case:
    """Open, or join, the open case about this content; recompute its priority.

    Called by the automated pipeline (``source="automated"``, with the assessment
    and whether the content was hidden until reviewed).
    """
    if source not in Case.Source.values:
        raise ValueError(f"unknown case source {source!r}")
    with transaction.atomic():
        case, created = case_open_or_join(
            content_type=content_type,
            content_id=int(content_id),
            author_id=int(author_id),
            category=category,
            source=source,
        )
        before = None if created else case_snapshot(case)
        if score >= case.score or not case.category:
            case.category = category
        case.score = max(case.score, float(score))
        case.hidden = case.hidden or hidden
        if source == Case.Source.AUTOMATED:
            case.from_automated = True
        if assessment is not None:
            case.assessment = assessment
        case_recompute(case)
        case.save()
        audit.case_queued(
            case_id=case.pk,
            created=created,
            before=before,
            after=case_snapshot(case) | {"source": source, "score": score, "category": category},
        )
        refresh_metrics_on_commit()
    return case


def pile_on_case_open(*, shield_id: int, account_id: int, sender_ids: tuple[int, ...] = ()) -> Case:
    """The one case grouping a pile-on protection detected (``PileOnDetected``).

    About the shield (``pile_on`` ``<shield id>``), its author the account piled on; a
    decision on it applies to the hostile strangers and what they sent
    (:func:`apps.moderation.selectors.case_subjects`), never to that account. Scored 1.0:
    many accounts are attacking one now. Idempotent: a redelivered event joins the
    open case.
    """
    case = queue_for_review(
        content_type=selectors.PILE_ON,
        content_id=shield_id,
        author_id=account_id,
        category="offensive",
        score=1.0,
        source="automated",
    )
    logger.info(
        "pile-on case opened",
        extra={"case_id": case.pk, "shield_id": shield_id, "senders": len(sender_ids)},
    )
    return case
