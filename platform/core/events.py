"""The platform's domain events, and how apps hear about them.

Apps talk upward through events, never imports: a lower app publishes, a higher
app subscribes in its ``AppConfig.ready()``. Handlers run after the surrounding
transaction commits (immediately when there is none), so they never see or act on
rolled-back work. A handler that does slow work enqueues a Celery task.

    from core import events
    events.subscribe(events.ContentPublished, handlers.on_content_published)
    events.publish(events.ContentPublished(content_type="status", content_id=s.pk, author_id=u.pk))
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base class of every domain event. Events carry ids, never model instances."""


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
class AccountRestricted(Event):
    """An account's standing changed: ``restriction`` is none, limited, suspended or disabled.

    The values of ``apps.accounts.models.Standing``, which accounts records (it owns
    the standing; every app reads it there). ``until``: ISO 8601, when it lapses.
    """

    account_id: int
    restriction: str
    reason: str = ""
    until: str | None = None


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
class PaymentSucceeded(Event):
    account_id: int
    amount: int
    currency: str
    reference: str = ""


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


def publish(event: Event) -> None:
    """Deliver ``event`` to its handlers once the current transaction commits.

    A failing handler is logged and does not stop the others: the publisher's
    work is already committed, and each handler owns its own retries.
    """

    def deliver() -> None:
        for handler in handlers_for(type(event)):
            try:
                handler(event)
            except Exception:
                logger.exception(
                    "event handler failed",
                    extra={
                        "event": type(event).__name__,
                        "handler": getattr(handler, "__qualname__", repr(handler)),
                    },
                )

    transaction.on_commit(deliver, robust=False)
