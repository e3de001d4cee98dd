"""What accounts does when other apps publish events."""

from __future__ import annotations

from core import events


def on_account_restricted(event: events.AccountRestricted) -> None:
    """Moderation changed an account's standing: record it (idempotent, so redelivery is safe)."""
    from apps.accounts import services
    from apps.accounts.models import StandingSource

    services.account_standing_set(
        account_id=event.account_id,
        standing=event.restriction,
        reason=event.reason,
        source=StandingSource.MODERATION,
        until=event.until,
        decided_at=event.decided_at,
    )


def connect() -> None:
    events.subscribe(events.AccountRestricted, on_account_restricted)
