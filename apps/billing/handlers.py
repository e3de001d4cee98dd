"""Billing's domain-event handlers. Thin: each calls a service."""

from __future__ import annotations

import datetime as dt

from apps.billing.services import ledger, standing
from core import events


def on_account_restricted(event: events.AccountRestricted) -> None:
    """Hold a suspended or disabled creator's payouts; lift the hold when that ends."""
    standing.payout_hold_sync(account_id=event.account_id)


def on_watch_time_recorded(event: events.WatchTimeRecorded) -> None:
    ledger.watch_time_record(
        viewer_id=event.viewer_id,
        creator_id=event.creator_id,
        source=event.source,
        day=dt.date.fromisoformat(event.day),
        seconds=event.seconds,
    )


def connect() -> None:
    events.subscribe(events.AccountRestricted, on_account_restricted)
    events.subscribe(events.WatchTimeRecorded, on_watch_time_recorded)
