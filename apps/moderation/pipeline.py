"""The automated pipeline: snapshot content, assess it, keep the evidence, decide, act.

The Celery tasks in :mod:`apps.moderation.tasks` call :func:`content_assess` (a
status published or edited) and :func:`media_assess` (media processed, with its
perceptual hashes). Decisions are carried out only through ``core.events``
(``ContentActioned``) and the review queue's service, never by writing another
app's rows.

Feature flags (``core.flags``), checked per author because tasks have no request:
``ai_moderation`` turns the pipeline on; ``scam_detection`` the scam category;
``link_safety_scanning`` the link category; ``human_review_queue`` whether queue and
hide decisions open a review case. Each is decided by :func:`core.flags.flag_is_on_for`
for the author, fetched once per batch: a flag on for a percentage of users puts
each author in or out by a stable hash of the author id, so one author always
gets the same answer.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.moderation import assessors, metrics
from apps.moderation.assessors import Context, Item, ItemResult
from apps.moderation.assessors.context import REPUTATION_CATEGORIES, domains_record
from apps.moderation.models import Assessment, Category, Decision, Strike
from apps.moderation.policies import Outcome, decide, policies_load
from core import events, flags

logger = logging.getLogger(__name__)

ASSESSED_CONTENT_TYPES = ("status", "chat_message")
MEDIA_HASHES_KEY = "moderation:media-hashes:{}"
MEDIA_HASHES_SECONDS = 30 * 24 * 3600
CATEGORY_FLAGS = {
    Category.SCAM: flags.SCAM_DETECTION,
    Category.LINK: flags.LINK_SAFETY_SCANNING,
}


@dataclass(frozen=True)
class Snapshot:
    """Content as it was when assessed: what the assessors see and what the evidence keeps."""

    content_type: str
    content_id: int
    author_id: int
    item: Item
    evidence: dict[str, Any]


# Flags ---------------------------------------------------------------------


def _authors(author_ids) -> dict[int, Any]:
    """The authors by id, fetched once for the flag checks (waffle decides per user)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.in_bulk(sorted(set(author_ids)))


def disabled_categories(*, author) -> frozenset[str]:
    """The categories whose flag is off for ``author`` (None: an author who is gone)."""
    return frozenset(
        category
        for category, name in CATEGORY_FLAGS.items()
        if not flags.flag_is_on_for(name, user=author)
    )


# Snapshots -------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _author_evidence(author) -> dict[str, Any]:
    return {
        "id": author.pk,
        "username": author.username,
        "created_at": _iso(getattr(author, "date_joined", None)),
        "statuses_count": getattr(author, "statuses_count", None),
    }


def media_hashes_remember(*, media_id: int, hashes: tuple[str, ...]) -> None:
    """Keep a media item's perceptual hashes (from ``MediaProcessed``) for the statuses using it."""
    cache.set(MEDIA_HASHES_KEY.format(media_id), list(hashes), MEDIA_HASHES_SECONDS)


def media_hashes_for(media_ids: list[int]) -> list[str]:
    if not media_ids:
        return []
    found = cache.get_many([MEDIA_HASHES_KEY.format(pk) for pk in media_ids])
    return [h for pk in media_ids for h in found.get(MEDIA_HASHES_KEY.format(pk)) or []]


def statuses_media(status_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The media attached to each status with their perceptual hashes, in the status's order.

    Hashes come from the media app's rows; for media whose row has none yet, from
    the ``MediaProcessed`` event (kept by :func:`media_hashes_remember`). Without
    the media app, statuses have no media. One query for all of ``status_ids``.
    """
    from django.apps import apps

    if not status_ids or not apps.is_installed("apps.media"):
        return {}
    from apps.media.models import MediaAttachment

    rows = list(
        MediaAttachment.objects.for_statuses(status_ids).values_list(
            "status_id", "pk", "perceptual_hashes"
        )
    )
    missing = [pk for _status, pk, hashes in rows if not hashes]
    remembered = {pk: media_hashes_for([pk]) for pk in missing}
    media: dict[int, list[dict[str, Any]]] = {}
    for status_id, pk, hashes in rows:
        media.setdefault(status_id, []).append(
            {"id": pk, "hashes": list(hashes or remembered.get(pk, []))}
        )
    return media


def media_status_id(*, media_id: int) -> int | None:
    """The status a media item is attached to, if any (and if the media app is installed)."""
    from django.apps import apps

    if not apps.is_installed("apps.media"):
        return None
    from apps.media.models import MediaAttachment

    return MediaAttachment.objects.filter(pk=media_id).values_list("status_id", flat=True).first()


STATUS_FIELDS = (
    "id",
    "account_id",
    "text",
    "content",
    "spoiler_text",
    "language",
    "visibility",
    "sensitive",
    "in_reply_to_id",
    "in_reply_to_account_id",
    "reblog_of_id",
    "moderation_state",
    "created_at",
    "edited_at",
    "account__username",
    "account__date_joined",
    "account__statuses_count",
)


def statuses_snapshot(status_ids: list[int]) -> dict[int, Snapshot]:
    """Snapshots of the statuses as they are now, by id, in two queries (statuses, media).

    Statuses that are gone, removed, or reblogs (nothing of their own) are left out. The
    author's active strikes come with the status (a subquery), for the context signals.
    """
    from apps.feed.models import ModerationState, Status

    strikes = (
        Strike.objects.active()
        .filter(account_id=OuterRef("account_id"))
        .order_by()
        .values("account_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    rows = [
        row
        for row in Status.objects.filter(pk__in=status_ids)
        .order_by()
        .annotate(author_strikes=Coalesce(Subquery(strikes), 0))
        .values(*STATUS_FIELDS, "author_strikes")
        if not row["reblog_of_id"] and row["moderation_state"] != ModerationState.REMOVED
    ]
    media_by_status = statuses_media([row["id"] for row in rows])
    captured_at = timezone.now().isoformat()
    snapshots = {}
    for row in rows:
        media = media_by_status.get(row["id"], [])
        media_hashes = [h for attachment in media for h in attachment["hashes"]]
        text = "\n".join(part for part in (row["spoiler_text"], row["text"]) if part)
        evidence = {
            "content_type": "status",
            "content_id": row["id"],
            "text": row["text"],
            "spoiler_text": row["spoiler_text"],
            "content": row["content"],
            "language": row["language"],
            "visibility": row["visibility"],
            "sensitive": row["sensitive"],
            "in_reply_to_id": row["in_reply_to_id"],
            "in_reply_to_account_id": row["in_reply_to_account_id"],
            "author_strikes": row["author_strikes"],
            "media": media,
            "media_hashes": media_hashes,
            "author": {
                "id": row["account_id"],
                "username": row["account__username"],
                "created_at": _iso(row["account__date_joined"]),
                "statuses_count": row["account__statuses_count"],
            },
            "content_created_at": _iso(row["created_at"]),
            "content_edited_at": _iso(row["edited_at"]),
            "moderation_state": row["moderation_state"],
            "captured_at": captured_at,
        }
        item = Item(
            key=f"status:{row['id']}",
            text=text,
            author_id=row["account_id"],
            author_created_at=row["account__date_joined"],
            created_at=row["created_at"],
            media_hashes=tuple(media_hashes),
            reply_to_other=row["in_reply_to_account_id"] not in (None, row["account_id"]),
            author_strikes=row["author_strikes"],
        )
        snapshots[row["id"]] = Snapshot("status", row["id"], row["account_id"], item, evidence)
    return snapshots


def chat_messages_snapshot(message_ids: list[int]) -> dict[int, Snapshot]:
    """Snapshots of live chat messages as they are now, by id (live's selector, one query).

    Removed messages are left out.
    """
    if not message_ids:
        return {}
    from apps.live.selectors import chat_messages_for_assessment

    captured_at = timezone.now().isoformat()
    snapshots = {}
    for row in chat_messages_for_assessment(message_ids):
        evidence = {
            "content_type": "chat_message",
            "content_id": row["id"],
            "text": row["text"],
            "stream_id": row["stream_id"],
            "channel_id": row["stream__account_id"],
            "reply_to_id": row["reply_to_id"],
            "author": {
                "id": row["author_id"],
                "username": row["author__username"],
                "created_at": _iso(row["author__date_joined"]),
            },
            "content_created_at": _iso(row["created_at"]),
            "moderation_state": row["state"],
            "captured_at": captured_at,
        }
        item = Item(
            key=f"chat_message:{row['id']}",
            text=row["text"],
            author_id=row["author_id"],
            author_created_at=row["author__date_joined"],
            created_at=row["created_at"],
            reply_to_other=row["reply_to__author_id"] not in (None, row["author_id"]),
        )
        snapshots[row["id"]] = Snapshot("chat_message", row["id"], row["author_id"], item, evidence)
    return snapshots


SNAPSHOT_LOADERS = {"status": statuses_snapshot, "chat_message": chat_messages_snapshot}


def media_snapshot(*, media_id: int, owner_id: int, hashes: tuple[str, ...]) -> Snapshot:
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.filter(pk=owner_id).first()
    evidence = {
        "content_type": "media",
        "content_id": media_id,
        "text": "",
        "media_hashes": list(hashes),
        "author": _author_evidence(owner) if owner else {"id": owner_id},
        "captured_at": timezone.now().isoformat(),
    }
    item = Item(
        key=f"media:{media_id}",
        author_id=owner_id,
        author_created_at=owner.date_joined if owner else None,
        media_hashes=tuple(hashes),
    )
    return Snapshot("media", media_id, owner_id, item, evidence)


# Assessing -------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One piece of content to assess (what an event asks for)."""

    content_type: str
    content_id: int
    trigger: str
    request_id: str = ""


def _already_done(requests: list[Request]) -> dict[str, Assessment]:
    """Assessments earlier runs wrote for these request ids (a task or batch run twice)."""
    ids = [r.request_id for r in requests if r.request_id]
    if not ids:
        return {}
    found = Assessment.objects.filter(
        content_type__in={r.content_type for r in requests},
        content_id__in={r.content_id for r in requests},
        evidence__request_id__in=ids,
    )
    return {assessment.evidence["request_id"]: assessment for assessment in found}


def content_assess(
    *, content_type: str, content_id: int, trigger: str, request_id: str = ""
) -> Assessment | None:
    """Assess published or edited content and carry out the decision.

    Returns the new Assessment, the earlier one when this ``request_id`` was
    already assessed (a task run twice), or None when there is nothing to assess
    (unknown type, content gone or removed, a reblog, automated moderation off).
    """
    [assessment] = contents_assess([Request(content_type, content_id, trigger, request_id)])
    return assessment


def contents_assess(requests: list[Request]) -> list[Assessment | None]:
    """:func:`content_assess` for many at once: snapshots, classifier and writes batched.

    Returns one entry per request, in order.
    """
    wanted = [r for r in requests if r.content_type in ASSESSED_CONTENT_TYPES]
    earlier = _already_done(wanted)
    to_do = [r for r in wanted if not (r.request_id and r.request_id in earlier)]
    snapshots = {
        (content_type, content_id): snapshot
        for content_type, loader in SNAPSHOT_LOADERS.items()
        for content_id, snapshot in loader(
            sorted({r.content_id for r in to_do if r.content_type == content_type})
        ).items()
    }
    found = [r for r in to_do if (r.content_type, r.content_id) in snapshots]
    jobs = [(snapshots[r.content_type, r.content_id], r.trigger, r.request_id) for r in found]
    written = iter(snapshots_assess(jobs))
    done = {id(job_request): next(written) for job_request in found}
    results: list[Assessment | None] = []
    for r in requests:
        if r.request_id and r.request_id in earlier:
            results.append(earlier[r.request_id])
        else:
            results.append(done.get(id(r)))
    return results


def media_assess(
    *, media_id: int, owner_id: int, hashes: tuple[str, ...], request_id: str = ""
) -> Assessment | None:
    """Match processed media against the known hash list and carry out the decision.

    Media already attached to a status is judged as part of that status (assessed
    again, now with the hashes), so the decision lands on what people see.
    """
    if not hashes:
        return None
    status_id = media_status_id(media_id=media_id)
    if status_id is not None:
        return content_assess(
            content_type="status",
            content_id=status_id,
            trigger=Assessment.Trigger.UPDATED,
            request_id=request_id,
        )
    earlier = _already_done([Request("media", media_id, Assessment.Trigger.PUBLISHED, request_id)])
    if request_id in earlier:
        return earlier[request_id]
    snapshot = media_snapshot(media_id=media_id, owner_id=owner_id, hashes=hashes)
    return snapshot_assess(
        snapshot=snapshot, trigger=Assessment.Trigger.PUBLISHED, request_id=request_id
    )


def snapshot_assess(*, snapshot: Snapshot, trigger: str, request_id: str = "") -> Assessment | None:
    """Assess one snapshot, write its Assessment and carry out the decision, in one transaction."""
    [assessment] = snapshots_assess([(snapshot, trigger, request_id)])
    return assessment


def snapshots_assess(jobs: list[tuple[Snapshot, str, str]]) -> list[Assessment | None]:
    """Assess (snapshot, trigger, request id) jobs in one classifier batch per flag set.

    Writes the assessments and carries out the decisions in one transaction.
    Returns one entry per job (None where automated moderation is off for the author).
    """
    started = time.perf_counter()
    authors = _authors(snapshot.author_id for snapshot, _trigger, _request_id in jobs)
    flag_memo: dict[int, tuple[bool, frozenset[str]]] = {}
    for snapshot, _trigger, _request_id in jobs:
        author_id = snapshot.author_id
        if author_id not in flag_memo:
            author = authors.get(author_id)
            flag_memo[author_id] = (
                flags.flag_is_on_for(flags.AI_MODERATION, user=author),
                disabled_categories(author=author),
            )
    groups: dict[frozenset[str], list[int]] = {}
    for index, (snapshot, _trigger, _request_id) in enumerate(jobs):
        is_on, disabled = flag_memo[snapshot.author_id]
        if is_on:
            groups.setdefault(disabled, []).append(index)
    results: dict[int, ItemResult] = {}
    for disabled, indexes in groups.items():
        scored = assessors.assess([jobs[i][0].item for i in indexes], Context(disabled=disabled))
        results.update(zip(indexes, scored, strict=True))
    if not results:
        return [None] * len(jobs)
    policies = policies_load()
    outcomes = {
        i: decide(result.score_values(), policies, result.confidences())
        for i, result in results.items()
    }
    each_seconds = (time.perf_counter() - started) / len(results)
    rows = {
        i: Assessment(
            content_type=jobs[i][0].content_type,
            content_id=jobs[i][0].content_id,
            author_id=jobs[i][0].author_id,
            trigger=jobs[i][1],
            scores=result.scores_json(),
            model_versions=result.model_versions,
            evidence={**jobs[i][0].evidence, "request_id": jobs[i][2]},
            decision=outcomes[i].decision,
            category=outcomes[i].category,
            top_score=outcomes[i].top_score,
            duration_ms=each_seconds * 1000,
        )
        for i, result in sorted(results.items())
    }
    with transaction.atomic():
        if len(rows) == 1:
            for row in rows.values():
                row.save(force_insert=True)
        else:
            Assessment.objects.bulk_create(list(rows.values()))
        for i, row in rows.items():
            decision_carry_out(assessment=row, outcome=outcomes[i])
        assessed_publish((row, results[i].score_of(Category.OFFENSIVE)) for i, row in rows.items())
    domains_record(
        jobs[i][0].item.text
        for i, outcome in outcomes.items()
        if outcome.decision in (Decision.HIDE, Decision.REMOVE)
        and outcome.category in REPUTATION_CATEGORIES
    )
    for i, result in results.items():
        metrics_record(
            content_type=jobs[i][0].content_type,
            result=result,
            outcome=outcomes[i],
            seconds=each_seconds,
        )
    return [rows.get(i) for i in range(len(jobs))]


def assessed_publish(rows) -> None:
    """One ``ContentAssessed`` per content type of the batch, carrying each item's hostility."""
    by_type: dict[str, list[tuple[int, int, float]]] = {}
    for row, hostility in rows:
        by_type.setdefault(row.content_type, []).append(
            (row.content_id, row.author_id, round(float(hostility), 4))
        )
    for content_type, assessed in by_type.items():
        events.publish(events.ContentAssessed(content_type=content_type, assessed=tuple(assessed)))


def metrics_record(
    *, content_type: str, result: ItemResult, outcome: Outcome, seconds: float
) -> None:
    metrics.moderation_requests_total.labels(type=content_type, decision=outcome.decision).inc()
    metrics.moderation_request_duration_seconds.observe(seconds)
    if outcome.top_category:
        metrics.moderation_confidence_score.labels(category=outcome.top_category).observe(
            outcome.top_score
        )


def _queue_for_review():
    """mod-cases's ``services.queue_for_review``, or None while the review queue is not there."""
    try:
        from apps.moderation import services
    except ImportError:
        return None
    return getattr(services, "queue_for_review", None)


def decision_carry_out(*, assessment: Assessment, outcome: Outcome) -> None:
    """Act on a decision: hide or remove through ``ContentActioned``; queue and hide open a case.

    Runs inside the transaction that writes the assessment, so the events go out
    only once both are committed. With the review queue flag off, queue decisions
    are only recorded and hidden content stays hidden until a moderator acts.
    """
    decision = outcome.decision
    if decision == Decision.ALLOW:
        return
    category_label = Category(outcome.category).label
    if decision in (Decision.HIDE, Decision.REMOVE):
        action = "hide" if decision == Decision.HIDE else "remove"
        reason = (
            _("Hidden until reviewed: %(category)s")
            if action == "hide"
            else _("Removed automatically: %(category)s")
        ) % {"category": category_label}
        events.publish(
            events.ContentActioned(
                content_type=assessment.content_type,
                content_id=assessment.content_id,
                action=action,
                reason=str(reason),
            )
        )
    if decision not in (Decision.QUEUE, Decision.HIDE):
        return
    author = _authors([assessment.author_id]).get(assessment.author_id)
    if not flags.flag_is_on_for(flags.HUMAN_REVIEW_QUEUE, user=author):
        return
    queue_for_review = _queue_for_review()
    if queue_for_review is None:
        logger.warning(
            "review queue unavailable; decision recorded only",
            extra={"assessment_id": assessment.pk, "decision": decision},
        )
        return
    queue_for_review(
        content_type=assessment.content_type,
        content_id=assessment.content_id,
        author_id=assessment.author_id,
        category=outcome.category,
        score=outcome.score,
        source="automated",
        assessment=assessment,
        hidden=decision == Decision.HIDE,
    )


# The pending list: events batched for the worker (with Redis) ---------------

PENDING_KEY = "moderation:pending"
DRAIN_KEY = "moderation:draining"
DRAIN_CLAIM_SECONDS = 60


@lru_cache(maxsize=4)
def _redis_for(url: str):
    import redis

    return redis.Redis.from_url(url)


def batching_is_enabled() -> bool:
    """Events are batched through a Redis list when Redis is configured and batches exceed one."""
    return bool(settings.REDIS_URL) and settings.MODERATION_BATCH_SIZE > 1


def pending_add(request: Request) -> bool:
    """Append a request to the pending list; True when the caller must schedule a drain.

    The drain claim (``DRAIN_KEY``) makes one drain run at a time: whoever sets it
    schedules the task, everyone else's request is picked up by the running drain.
    """
    client = _redis_for(settings.REDIS_URL)
    client.rpush(PENDING_KEY, json.dumps(asdict(request)))
    return bool(client.set(DRAIN_KEY, "1", nx=True, ex=DRAIN_CLAIM_SECONDS))


def pending_drain(*, batch_size: int) -> int:
    """Assess pending requests in batches until the list is empty; returns how many.

    A batch leaves the list only after it was assessed, so a worker lost mid-batch
    leaves it for the next drain (assessing is idempotent by request id). A
    database error propagates (the task retries with the batch still queued); any
    other failure is isolated to the request that causes it, which is logged and
    dropped so that one bad request cannot block the rest.
    """
    client = _redis_for(settings.REDIS_URL)
    total = 0
    while True:
        raw = client.lrange(PENDING_KEY, 0, batch_size - 1)
        if not raw:
            client.delete(DRAIN_KEY)
            # A request pushed between the read and the delete found the claim taken.
            if client.llen(PENDING_KEY) and client.set(
                DRAIN_KEY, "1", nx=True, ex=DRAIN_CLAIM_SECONDS
            ):
                continue
            return total
        requests = []
        for value in raw:
            try:
                requests.append(Request(**json.loads(value)))
            except (TypeError, ValueError):
                logger.error(
                    "dropped a malformed pending moderation request", extra={"value": value[:200]}
                )
        _assess_isolating_failures(requests)
        client.ltrim(PENDING_KEY, len(raw), -1)
        client.expire(DRAIN_KEY, DRAIN_CLAIM_SECONDS)
        total += len(raw)


def pending_sweep(*, batch_size: int) -> int:
    """Drain a pending list that no drain is working on; returns how many were assessed.

    The periodic safety net for a drain task that was lost (a worker killed, a broker
    restart) after it claimed the list: once its claim expires, the next sweep takes
    the list over, so no event waits for the next post to be assessed.
    """
    if not batching_is_enabled():
        return 0
    client = _redis_for(settings.REDIS_URL)
    if not client.llen(PENDING_KEY):
        return 0
    if not client.set(DRAIN_KEY, "1", nx=True, ex=DRAIN_CLAIM_SECONDS):
        return 0  # a drain holds the list
    return pending_drain(batch_size=batch_size)


def _assess_isolating_failures(requests: list[Request]) -> None:
    try:
        contents_assess(requests)
        return
    except DatabaseError:
        raise
    except Exception:
        logger.exception("a moderation batch failed; assessing its requests one by one")
    for request in requests:
        try:
            contents_assess([request])
        except DatabaseError:
            raise
        except Exception:
            logger.exception(
                "dropped a moderation request that fails",
                extra={"content_type": request.content_type, "content_id": request.content_id},
            )
