"""Protection's domain-event handlers. Thin: each calls a service or enqueues a task.

Moderation's assessments feed the pile-on detector. The handler runs where the
outbox relays the event (the worker that assessed the batch), at once: the delay from
the reply that tips a pile-on to the shield being up is a few milliseconds of it.
"""

from __future__ import annotations

from core import events


def on_content_assessed(event: events.ContentAssessed) -> None:
    """Count the batch's replies, mentions and quotes from strangers; raise shields."""
    from apps.protection.services.pile_ons import interactions_observe

    interactions_observe(content_type=event.content_type, assessed=event.assessed)


def connect() -> None:
    """Subscribe protection's handlers (``ProtectionConfig.ready``)."""
    events.subscribe(events.ContentAssessed, on_content_assessed)
