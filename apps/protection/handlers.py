"""Protection's domain-event handlers. Thin: each calls a service or enqueues a task."""

from __future__ import annotations

from apps.protection.services.lookalikes import lookalike_scan
from core import events


def on_account_named(event: events.AccountCreated | events.AccountUpdated) -> None:
    """A new account, or a new display name: flag names that pass for a protected account's."""
    if isinstance(event, events.AccountUpdated) and "display_name" not in event.fields:
        return
    lookalike_scan(account_id=event.account_id)


def connect() -> None:
    """Subscribe protection's handlers (``ProtectionConfig.ready``)."""
    events.subscribe(events.AccountCreated, on_account_named)
    events.subscribe(events.AccountUpdated, on_account_named)
