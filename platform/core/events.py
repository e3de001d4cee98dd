"""The platform's domain events, and how apps hear about them.

Apps talk upward through events, never imports: a lower app publishes, a higher
app subscribes in its ``AppConfig.ready()``. ``publish()`` writes the event to a
transactional outbox (:class:`core.models.OutboxEvent`) in the publisher's own
transaction, so an event exists exactly when the work that caused it committed. After
commit the worker relays it (the task ``core.events.relay``; a periodic sweep,
``core.events.sweep``, picks up whatever a crash or a failing handler left behind):
each subscribed handler runs at least once, in a savepoint of its own, and a handler
that succeeded is not run again when another fails. Handlers must therefore be
idempotent. A handler that does slow work enqueues a Celery task.

With ``EVENTS_RELAY_IN_PROCESS`` (the unit suite, one-off scripts) or
``CELERY_TASK_ALWAYS_EAGER`` the publishing process relays right after commit instead
of enqueueing the task.

When tracing, the row keeps its publisher's trace context (in the payload, under
``core.tracing.OUTBOX_CONTEXT_KEY``, which no event field is named), the relay task joins
the publisher's trace, and each delivery is a span linked to it (the sweep's too).

    from core import events
    events.subscribe(events.ContentPublished, handlers.on_content_published)
    events.publish(events.ContentPublished(content_type="status", content_id=s.pk, author_id=u.pk))
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import tracing

logger = logging.getLogger(__name__)

EVENT_TYPES: dict[str, type[Event]] = {}


@dataclass(frozen=True)
class Event:
    """Base class of every domain event. Events carry ids, never model instances.

    Fields hold JSON values (ids, strings, numbers, ``None``) or tuples of them: the
    outbox stores an event as its type's name and its fields.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        EVENT_TYPES[cls.__name__] = cls


@dataclass(frozen=True)
class AccountCreated(Event):
    account_id: int


@dataclass(frozen=True)
class AccountUpdated(Event):
    account_id: int
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class CredentialsChanged(Event):
    """The account's password changed or it was disabled: its sessions and tokens ended."""

    account_id: int
    reason: str


@dataclass(frozen=True)
class ContentPublished(Event):
    """Content became visible: a status, media, a chat message, a template."""

    content_type: str
    content_id: int
    author_id: int


@dataclass(frozen=True)
class ContentUpdated(Event):
    content_type: str
    content_id: int
    author_id: int


@dataclass(frozen=True)
class ContentDeleted(Event):
    content_type: str
    content_id: int
    author_id: int


@dataclass(frozen=True)
class ContentActioned(Event):
    """A moderation decision on content: ``action`` is approve, hide, remove or sensitive."""

    content_type: str
    content_id: int
    action: str
    reason: str = ""
    case_id: int | None = None


@dataclass(frozen=True)
class ReportFiled(Event):
    report_id: int
    reporter_id: int
    target_account_id: int
    content_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReportResolved(Event):
    """A moderator decided the case a report was on: ``upheld`` (acted on) or rejected.

    Tells the reporter's side of a decision (``ContentActioned`` and ``AccountWarned``
    tell the reported's): protection weighs how often an account's reports hold up.
    A reopened and decided again case publishes it again with the new outcome.
    """

    report_id: int
    reporter_id: int
    upheld: bool


@dataclass(frozen=True)
class AccountBlocked(Event):
    """``account_id`` blocked ``target_id`` (the feed records blocks): whatever ``target_id``
    still holds open of ``account_id``'s (a live chat socket) is closed."""

    account_id: int
    target_id: int


@dataclass(frozen=True)
class AccountRestricted(Event):
    """An account's standing changed: ``restriction`` is none, limited, suspended or disabled.

    The values of ``apps.accounts.models.Standing``, which accounts records (it owns
    the standing; every app reads it there). ``until``: ISO 8601, when it lapses.
    """

    account_id: int
    restriction: str
    reason: str = ""
    until: str | None = None
    # When the decision was taken (ISO 8601). Delivery is at least once and in no set
    # order, so accounts ignores a decision older than the standing it already records:
    # a suspension redelivered late never undoes the lift that followed it.
    decided_at: str = field(default_factory=lambda: timezone.now().isoformat())


@dataclass(frozen=True)
class AccountWarned(Event):
    """Moderation gave an account a strike (Mastodon's account warning).

    ``action`` is Mastodon's: none, disable, mark_statuses_as_sensitive,
    delete_statuses, sensitive, silence or suspend. The feed turns it into a
    ``moderation_warning`` notification.
    """

    account_id: int
    warning_id: int
    action: str
    text: str = ""
    status_ids: tuple[int, ...] = ()
    created_at: str = ""


@dataclass(frozen=True)
class SubscriptionChanged(Event):
    """An account's subscription changed: its plan, its status or its grace period.

    ``kind`` is ``platform`` (a platform plan) or ``creator`` (a fan's membership of a
    creator's tier, ``creator_id``). ``tier`` is what the account is on now (``free``
    once a subscription has lapsed); ``status`` is Stripe's subscription status.
    """

    account_id: int
    subscription: str
    kind: str
    tier: str
    status: str
    creator_id: int | None = None


@dataclass(frozen=True)
class PaymentSucceeded(Event):
    """Stripe took a payment from the account (``reference``: the invoice or payment intent)."""

    account_id: int
    amount: int
    currency: str
    reference: str = ""


@dataclass(frozen=True)
class PaymentFailed(Event):
    """A payment of the account failed (dunning: ``attempt`` counts Stripe's tries)."""

    account_id: int
    amount: int
    currency: str
    reference: str = ""
    attempt: int = 1


@dataclass(frozen=True)
class PaymentRefunded(Event):
    """A payment was refunded (``amount``: refunded so far); ``creator_id`` when it paid one."""

    account_id: int | None
    charge: str
    amount: int
    currency: str
    creator_id: int | None = None


@dataclass(frozen=True)
class DisputeOpened(Event):
    """A customer disputed a charge; the creator it paid (if any) has payouts held."""

    dispute: str
    charge: str
    amount: int
    currency: str
    creator_id: int | None = None


@dataclass(frozen=True)
class DisputeClosed(Event):
    """A dispute closed: ``outcome`` is Stripe's status (``won``, ``lost``, ...)."""

    dispute: str
    charge: str
    outcome: str
    creator_id: int | None = None


@dataclass(frozen=True)
class PayoutAccountUpdated(Event):
    """A creator's Stripe Connect account changed state (pending, restricted, active)."""

    account_id: int
    stripe_account: str
    state: str


@dataclass(frozen=True)
class PayoutSent(Event):
    """A payout batch paid a creator (``transfer``: the Stripe Transfer)."""

    account_id: int
    amount: int
    currency: str
    transfer: str
    period: str


@dataclass(frozen=True)
class BankPayoutUpdated(Event):
    """Stripe paid (or failed to pay) a creator's balance out to their bank."""

    account_id: int
    payout: str
    status: str
    amount: int
    currency: str


@dataclass(frozen=True)
class WatchTimeRecorded(Event):
    """A viewer's running total of seconds watched of one creator's content on one day.

    ``source`` names what was watched (``"status:123"``, ``"live:9"``); ``day`` is the
    UTC date (ISO 8601). Totals only grow, so a consumer keeps the largest it has seen:
    a report delivered twice or late never counts twice.
    """

    viewer_id: int
    creator_id: int
    source: str
    day: str
    seconds: int


@dataclass(frozen=True)
class LiveStarted(Event):
    """A stream went live: its encoder's publish was accepted (``visibility`` is the stream's)."""

    stream_id: int
    account_id: int
    visibility: str


@dataclass(frozen=True)
class LiveEnded(Event):
    """A live stream ended: its encoder stopped, its owner ended it, or staff killed it."""

    stream_id: int
    account_id: int


@dataclass(frozen=True)
class LiveStreamKilled(Event):
    """Staff ended a stream with the kill switch (and rotated its key), for ``reason``.

    Moderation may follow it with a strike. ``killed_at`` is when (ISO 8601);
    ``actor_id`` the staff member (None for an operator's script).
    """

    stream_id: int
    account_id: int
    reason: str
    killed_at: str
    actor_id: int | None = None


@dataclass(frozen=True)
class ContentAssessed(Event):
    """Moderation's automated assessment of a batch of content of one type.

    ``assessed``: (content id, author id, hostility) for each item, hostility being the
    0..1 score of the offensive category (insults, harassment). Published whatever the
    decision, so an app can weigh ordinary and hostile content alike (protection's
    pile-on detector counts both).
    """

    content_type: str
    assessed: tuple[tuple[int, int, float], ...]


@dataclass(frozen=True)
class PileOnDetected(Event):
    """Protection saw a surge of hostile attention at an account and raised its shield.

    ``sender_ids``: the hostile strangers it muted for the account; ``since``/``until``
    (ISO 8601): the window it detected in, and when the shield lowers. Moderation
    opens one case grouping the pile-on.
    """

    account_id: int
    shield_id: int
    sender_ids: tuple[int, ...]
    content_ids: tuple[int, ...]
    since: str
    until: str


@dataclass(frozen=True)
class ShieldChanged(Event):
    """An account's shield went up or down (``active``); ``source`` is pile_on or account.

    While it is up the feed holds the account's scheduled posts; when it goes down it
    releases them. ``until`` (ISO 8601) when it lowers on its own, for ``active``.
    """

    account_id: int
    active: bool
    source: str
    until: str | None = None


@dataclass(frozen=True)
class ReputationChanged(Event):
    """An account's trust score moved to ``score`` (0..1) from ``previous``, by ``reason``."""

    account_id: int
    score: float
    previous: float
    level: str
    reason: str = ""


@dataclass(frozen=True)
class MediaProcessed(Event):
    media_id: int
    owner_id: int
    perceptual_hashes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class JobFinished(Event):
    """A background job reached SUCCESS, FAILURE or REVOKED (``status``)."""

    job_id: int
    owner_id: int | None
    kind: str
    status: str


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]
_handlers: dict[type[Event], list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Register ``handler`` for ``event_type`` (idempotent; call from ``AppConfig.ready``)."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def unsubscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    if handler in _handlers[event_type]:
        _handlers[event_type].remove(handler)


def handlers_for(event_type: type[Event]) -> list[Handler]:
    return list(_handlers.get(event_type, ()))


ERROR_MAX_LENGTH = 4000


class UnknownEvent(LookupError):
    """An outbox row names an event type this code does not define."""


def handler_name(handler: Handler) -> str:
    """The stable name a handler's delivery is recorded under: ``module.qualname``."""
    module = getattr(handler, "__module__", None) or ""
    qualname = getattr(handler, "__qualname__", None) or repr(handler)
    return f"{module}.{qualname}" if module else qualname


def event_to_payload(event: Event) -> dict[str, Any]:
    """The event's fields as JSON values (tuples become lists)."""
    return {
        item.name: list(value) if isinstance(value, tuple) else value
        for item in fields(event)
        for value in (getattr(event, item.name),)
    }


def event_from_payload(event_type: str, payload: dict[str, Any]) -> Event:
    """Rebuild an event from its type's name and fields (lists become tuples again).

    Raises :class:`UnknownEvent` for a type this code does not define, and
    ``TypeError`` when the fields do not match it.
    """
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise UnknownEvent(event_type)
    known = {item.name for item in fields(cls)}
    values = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in payload.items()
        if name in known
    }
    return cls(**values)


def publish(event: Event) -> None:
    """Record ``event`` in the outbox, in the current transaction, for delivery after commit.

    Rolled back with the publisher's work, the event is never delivered; committed,
    it is delivered at least once, even if this process dies right after the commit.
    Raises ``TypeError`` when a field is not JSON-serialisable.
    """
    from core.models import OutboxEvent

    payload = event_to_payload(event)
    trace_context = tracing.carrier()
    if trace_context:
        payload[tracing.OUTBOX_CONTEXT_KEY] = trace_context
    row = OutboxEvent.objects.create(
        event_type=type(event).__name__,
        payload=payload,
        next_attempt_at=timezone.now(),
    )
    outbox_id = row.pk
    transaction.on_commit(tracing.bind(lambda: _relay_after_commit(outbox_id)))


def _relay_after_commit(outbox_id: int) -> None:
    """Hand a committed outbox row to the worker (or relay it here); never raises.

    If the broker is unreachable the row waits for the periodic sweep.
    """
    try:
        if getattr(settings, "EVENTS_RELAY_IN_PROCESS", False) or getattr(
            settings, "CELERY_TASK_ALWAYS_EAGER", False
        ):
            relay(outbox_id=outbox_id)
            return
        from core.tasks import events_relay_task

        events_relay_task.delay(outbox_id=outbox_id)
    except Exception:
        logger.exception(
            "could not relay an event after commit; the sweep will",
            extra={"outbox_id": outbox_id},
        )


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed delivery: doubling, capped."""
    base = getattr(settings, "EVENTS_RETRY_BACKOFF_SECONDS", 30)
    cap = getattr(settings, "EVENTS_RETRY_BACKOFF_MAX_SECONDS", 3600)
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def relay(*, outbox_id: int, only_if_due: bool = False) -> bool:
    """Deliver one pending outbox row to the handlers that have not had it yet.

    Locks the row (``SELECT ... FOR UPDATE SKIP LOCKED`` where supported) for the
    whole delivery, so two relays never deliver it at once; a row another relay holds,
    a finished row, or (with ``only_if_due``) a row waiting out its backoff is left
    alone. Each handler runs in a savepoint: a failing one is rolled back alone, logged,
    and retried later with backoff; after ``EVENTS_MAX_ATTEMPTS`` the row is FAILED
    with the reason. Returns whether this call delivered (or tried to deliver) the row.
    """
    from core.models import OutboxEvent

    with transaction.atomic():
        rows = OutboxEvent.objects.select_for_update(skip_locked=True).filter(
            pk=outbox_id, status=OutboxEvent.Status.PENDING
        )
        if only_if_due:
            rows = rows.filter(next_attempt_at__lte=timezone.now())
        row = rows.first()
        if row is None:
            return False
        stored = (
            row.payload.get(tracing.OUTBOX_CONTEXT_KEY) if isinstance(row.payload, dict) else None
        )
        with tracing.delivery_span(f"event.deliver {row.event_type}", stored):
            _deliver(row)
    return True


def _deliver(row: Any) -> None:
    """Run the row's outstanding handlers and record the outcome (row locked by the caller)."""
    from core.models import OutboxEvent

    now = timezone.now()
    row.attempts += 1
    try:
        event = event_from_payload(row.event_type, row.payload)
    except (UnknownEvent, TypeError) as exc:
        row.status = OutboxEvent.Status.FAILED
        row.last_error = f"cannot rebuild the event: {type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH]
        row.finished_at = now
        row.save(update_fields=["attempts", "status", "last_error", "finished_at"])
        logger.error("outbox event cannot be rebuilt", extra={"outbox_id": row.pk})
        return
    delivered = list(row.delivered_to or [])
    errors = []
    for handler in handlers_for(type(event)):
        name = handler_name(handler)
        if name in delivered:
            continue
        try:
            with transaction.atomic():
                handler(event)
        except Exception as exc:
            logger.exception(
                "event handler failed",
                extra={"event": row.event_type, "handler": name, "outbox_id": row.pk},
            )
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
        else:
            delivered.append(name)
    row.delivered_to = delivered
    if not errors:
        row.status = OutboxEvent.Status.DONE
        row.last_error = ""
        row.finished_at = now
    else:
        row.last_error = "\n".join(errors)[:ERROR_MAX_LENGTH]
        if row.attempts >= getattr(settings, "EVENTS_MAX_ATTEMPTS", 10):
            row.status = OutboxEvent.Status.FAILED
            row.finished_at = now
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)
    row.save(
        update_fields=[
            "attempts",
            "delivered_to",
            "status",
            "last_error",
            "finished_at",
            "next_attempt_at",
        ]
    )


def relay_due(*, limit: int = 500) -> int:
    """The sweep: relay up to ``limit`` pending rows whose time has come, oldest first.

    Also deletes delivered rows older than ``EVENTS_DONE_RETENTION_DAYS``. Returns how
    many rows it relayed.
    """
    from core.models import OutboxEvent

    now = timezone.now()
    due = list(
        OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING, next_attempt_at__lte=now)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    relayed = sum(relay(outbox_id=outbox_id, only_if_due=True) for outbox_id in due)
    retention = timedelta(days=getattr(settings, "EVENTS_DONE_RETENTION_DAYS", 7))
    OutboxEvent.objects.filter(
        status=OutboxEvent.Status.DONE, finished_at__lt=now - retention
    ).delete()
    return relayed


def outbox_redeliver(*, outbox_ids: list[int]) -> int:
    """Put FAILED rows back in the queue (attempts reset) for the sweep; returns how many."""
    from core.models import OutboxEvent

    return OutboxEvent.objects.filter(pk__in=outbox_ids, status=OutboxEvent.Status.FAILED).update(
        status=OutboxEvent.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        finished_at=None,
    )
