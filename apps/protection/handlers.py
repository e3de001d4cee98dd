"""Protection's domain-event handlers. Thin: each calls a service or enqueues a task.

New names are checked for lookalikes of protected accounts. Moderation's assessments
feed the pile-on detector. The handler runs where the
outbox relays the event (the worker that assessed the batch), at once: the delay from
the reply that tips a pile-on to the shield being up is a few milliseconds of it.
"""

from __future__ import annotations

from apps.protection.services.lookalikes import lookalike_scan
from core import events


def on_content_assessed(event: events.ContentAssessed) -> None:
    """Count the batch's replies, mentions and quotes from strangers; raise shields."""
    from apps.protection.services.pile_ons import interactions_observe

    interactions_observe(content_type=event.content_type, assessed=event.assessed)


def on_account_named(event: events.AccountCreated | events.AccountUpdated) -> None:
    """A new account, or a new display name: flag names that pass for a protected account's."""
    if isinstance(event, events.AccountUpdated) and "display_name" not in event.fields:
        return
    lookalike_scan(account_id=event.account_id)


def connect() -> None:
    """Subscribe protection's handlers (``ProtectionConfig.ready``)."""
    events.subscribe(events.ContentAssessed, on_content_assessed)
    events.subscribe(events.AccountCreated, on_account_named)
    events.subscribe(events.AccountUpdated, on_account_named)
