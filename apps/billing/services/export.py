"""A period's ledger as CSV, for finance's books. Accounts appear by id only."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator

from apps.billing import selectors
from apps.billing.models import LedgerEntry
from core import audit

COLUMNS = [
    "entry_id",
    "occurred_at",
    "creator_id",
    "kind",
    "amount",
    "currency",
    "description",
    "stripe_id",
    "transfer_id",
    "payout_period",
]


class _Line:
    """A file-like that hands back what csv.writer writes (for streaming)."""

    def write(self, value: str) -> str:
        return value


def ledger_csv(*, period: dt.date, actor) -> Iterator[str]:
    """The CSV lines of ``period``'s ledger entries, oldest first; audited as an export."""
    start, end = selectors.period_bounds(period)
    entries = (
        LedgerEntry.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .select_related("payout__batch")
        .order_by("occurred_at", "pk")
    )
    audit.billing_exported(actor=actor, period=f"{period:%Y-%m}", rows=entries.count())
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for entry in entries.iterator(chunk_size=2000):
        payout = entry.payout
        yield writer.writerow(
            [
                entry.pk,
                entry.occurred_at.isoformat(),
                entry.creator_id,
                entry.kind,
                entry.amount,
                entry.currency,
                entry.description,
                entry.stripe_id,
                payout.stripe_transfer_id if payout else "",
                f"{payout.batch.period:%Y-%m}" if payout else "",
            ]
        )
