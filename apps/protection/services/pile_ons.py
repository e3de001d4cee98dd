"""From moderation's assessments to the pile-on detector, and from a pile-on to the shield.

Moderation publishes ``ContentAssessed`` for every batch it assesses, with each
item's hostility. :func:`interactions_observe` turns the statuses among them into
inbound interactions — a reply to, a mention of, or a quote of another account — and
keeps those from strangers: the recipient neither follows the sender nor talked with
it (replied to or mentioned it) within ``PROTECTION_TALKED_WITH_DAYS``. Each goes to
the detector (:mod:`apps.protection.detector`), weighed by whether the sender is new
or low-trust (``core.reputation``). When a window becomes a pile-on the shield goes up
(:func:`apps.protection.services.shields.pile_on_raise`) with the window's hostile
strangers; while it is up, each new hostile stranger joins it (and is muted).

A batch costs seven queries (statuses, mentions, quotes, follows, replies and mentions
the recipients sent, active shields) and one Redis round trip, whatever its size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.feed.models import Follow, Mention, Quote, Status
from apps.protection import detector, metrics
from apps.protection.models import Shield
from apps.protection.services.shields import pile_on_raise, shield_senders_add
from core import reputation


def _targets(status_ids: list[int]) -> dict[int, tuple[int, set[int], datetime]]:
    """Each status's (author, accounts it reaches: replied to, mentioned or quoted, created)."""
    rows = Status.objects.filter(pk__in=status_ids, reblog_of__isnull=True).values_list(
        "pk", "account_id", "in_reply_to_account_id", "created_at"
    )
    targets: dict[int, tuple[int, set[int], datetime]] = {}
    for pk, author, replied_to, created_at in rows:
        reached = {replied_to} if replied_to else set()
        targets[pk] = (author, reached, created_at)
    for status_id, account_id in Mention.objects.filter(status_id__in=list(targets)).values_list(
        "status_id", "account_id"
    ):
        targets[status_id][1].add(account_id)
    for status_id, account_id in Quote.objects.filter(
        status_id__in=list(targets), quoted_account__isnull=False
    ).values_list("status_id", "quoted_account_id"):
        targets[status_id][1].add(account_id)
    for author, reached, _created in targets.values():
        reached.discard(author)
    return targets


def _acquainted(pairs: set[tuple[int, int]], *, now: datetime) -> set[tuple[int, int]]:
    """The (recipient, sender) pairs where the recipient follows the sender or talked with it."""
    if not pairs:
        return set()
    recipients = {r for r, _s in pairs}
    senders = {s for _r, s in pairs}
    since = now - timedelta(days=settings.PROTECTION_TALKED_WITH_DAYS)
    known = set(
        Follow.objects.filter(account_id__in=recipients, target_id__in=senders).values_list(
            "account_id", "target_id"
        )
    )
    known |= set(
        Status.objects.filter(
            account_id__in=recipients, in_reply_to_account_id__in=senders, created_at__gte=since
        ).values_list("account_id", "in_reply_to_account_id")
    )
    known |= set(
        Mention.objects.filter(
            status__account_id__in=recipients, account_id__in=senders, status__created_at__gte=since
        ).values_list("status__account_id", "account_id")
    )
    return known & pairs


def interactions_observe(
    *, content_type: str, assessed: Sequence[Sequence], now: datetime | None = None
) -> list[Shield]:
    """Count a batch of moderation's assessments; the shields it raised (one per pile-on)."""
    if content_type != "status" or not assessed:
        return []
    now = now or timezone.now()
    hostility = {int(content_id): float(score) for content_id, _author, score in assessed}
    targets = _targets(list(hostility))
    interactions = [
        (recipient, author, status_id, created_at)
        for status_id, (author, reached, created_at) in targets.items()
        for recipient in reached
    ]
    if not interactions:
        return []
    pairs = {(recipient, author) for recipient, author, _s, _c in interactions}
    known = _acquainted(pairs, now=now)
    strangers = [i for i in interactions if (i[0], i[1]) not in known]
    if not strangers:
        return []
    trust = reputation.trust_many(author for _r, author, _s, _c in strangers)
    observations = [
        detector.Observation(
            account_id=recipient,
            sender_id=author,
            hostility=hostility[status_id],
            weak_sender=trust[author].is_new_or_low,
            # The status's own time: a backlog drained late counts where it happened.
            at=min(created_at, now).timestamp(),
        )
        for recipient, author, status_id, created_at in strangers
    ]
    store = detector.detector_store()
    windows = store.record(observations)
    for observation in observations:
        metrics.pile_on_interactions_total.labels(hostile=str(observation.is_hostile).lower()).inc()

    hostile = [
        (observation, window, status_id)
        for observation, window, (_r, _a, status_id, _c) in zip(
            observations, windows, strangers, strict=True
        )
        if observation.is_hostile
    ]
    if not hostile:
        return []
    shielded = dict(
        Shield.objects.active()
        .filter(account_id__in={o.account_id for o, _w, _s in hostile})
        .values_list("account_id", "pk")
    )
    joining: dict[int, dict[int, tuple[list[int], float]]] = defaultdict(dict)
    piling: dict[int, detector.Window] = {}
    for observation, window, status_id in hostile:
        recipient = observation.account_id
        if recipient in shielded:
            ids, score = joining[recipient].get(observation.sender_id, ([], 0.0))
            joining[recipient][observation.sender_id] = (
                [*ids, status_id],
                max(score, observation.hostility),
            )
        elif detector.is_pile_on(window):
            piling[recipient] = window
    for recipient, senders in joining.items():
        shield = Shield.objects.get(pk=shielded[recipient])
        shield_senders_add(shield=shield, senders=senders)
    raised = []
    for recipient, window in piling.items():
        seen: dict[int, float] = {}
        for observation, _window, _status_id in hostile:
            if observation.account_id == recipient:
                seen[observation.sender_id] = max(
                    seen.get(observation.sender_id, 0.0), observation.hostility
                )
        raised.append(_pile_on(recipient=recipient, window=window, store=store, seen=seen, now=now))
    return raised


def _pile_on(
    *,
    recipient: int,
    window: detector.Window,
    store: detector.DetectorStore,
    seen: dict[int, float],
    now: datetime,
) -> Shield:
    """Raise the shield over the window's hostile strangers, with what each sent in it."""
    at = now.timestamp()
    sender_ids = store.hostile_senders(recipient, at)
    since = now - timedelta(seconds=settings.PROTECTION_PILE_ON_WINDOW_SECONDS)
    reaching = Status.objects.filter(
        Q(in_reply_to_account_id=recipient) | Q(mentions__account_id=recipient),
        account_id__in=sender_ids,
        created_at__gte=since,
    ).values_list("account_id", "pk")
    sent: dict[int, set[int]] = defaultdict(set)
    for sender, status_id in reaching:
        sent[sender].add(status_id)
    # The window keeps who was hostile, not how much: at least the hostile score, and
    # what this batch saw of it.
    floor = settings.PROTECTION_HOSTILE_SCORE
    senders = {
        sender: (sorted(sent.get(sender, ())), max(floor, seen.get(sender, floor)))
        for sender in sender_ids
    }
    detection = {**window.as_json(), "detected_at": datetime.fromtimestamp(at, UTC).isoformat()}
    return pile_on_raise(
        account_id=recipient, detection=detection, senders=senders, since=since, now=now
    )
