"""Reads of protection's state for the API and the admin."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F

from apps.feed.services.notification_policies import notifications_filtered_count
from apps.protection.models import Shield, ShieldSender


def shield_latest(*, account_id: int) -> Shield | None:
    """The account's shield that is up, else the last one that came down."""
    return (
        Shield.objects.filter(account_id=account_id)
        .order_by(F("ended_at").desc(nulls_first=True), "-started_at")
        .first()
    )


def shield_counts(*, shield: Shield, now: datetime) -> dict[str, int]:
    """How many strangers the shield muted and notifications it filtered so far."""
    return {
        "muted": ShieldSender.objects.filter(shield=shield, muted=True).count(),
        "filtered": notifications_filtered_count(
            account_id=shield.account_id, since=shield.started_at, until=min(now, shield.until)
        ),
    }


def pile_on_senders(*, shield_id: int) -> dict[int, list[int]]:
    """A pile-on's hostile strangers, each with the statuses it sent the account (by id)."""
    return {
        sender_id: [int(i) for i in content_ids]
        for sender_id, content_ids in ShieldSender.objects.filter(shield_id=shield_id)
        .order_by("sender_id")
        .values_list("sender_id", "content_ids")
    }
