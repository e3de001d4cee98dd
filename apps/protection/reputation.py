"""Reputation's wiring: the :mod:`core.reputation` provider, event handlers, the sweep.

:func:`connect` (``ProtectionConfig.ready``) installs :func:`trust_many` as the
provider lower layers ask, subscribes the handlers that keep protection's ledger of
moderation's decisions (:class:`~apps.protection.models.ReputationSignal`), and lets
operators schedule the sweep. Handlers are thin: record, then enqueue the recompute.
"""

from __future__ import annotations

import datetime as dt

from core import events, queue
from core import reputation as port

REFRESH_TASK = "protection.reputation_refresh"
SWEEP_TASK = "protection.reputation_sweep"


def trust_many(account_ids: list[int]) -> dict[int, port.Trust]:
    from apps.protection.services import reputation

    return reputation.trust_many(account_ids)


def on_account_warned(event: events.AccountWarned) -> None:
    """A strike weighs on the account warned."""
    from apps.protection.models import ReputationSignal
    from apps.protection.services import reputation

    try:
        occurred_at = dt.datetime.fromisoformat(event.created_at) if event.created_at else None
    except ValueError:
        occurred_at = None
    if reputation.reputation_signal_record(
        kind=ReputationSignal.Kind.STRIKE,
        ref_id=event.warning_id,
        account_id=event.account_id,
        outcome=ReputationSignal.Outcome.STRIKE,
        occurred_at=occurred_at,
    ):
        queue.send_on_commit(REFRESH_TASK, account_id=event.account_id, reason="strike")


def on_report_resolved(event: events.ReportResolved) -> None:
    """A report upheld lifts its reporter, one rejected lowers it."""
    from apps.protection.models import ReputationSignal
    from apps.protection.services import reputation

    outcome = ReputationSignal.Outcome.UPHELD if event.upheld else ReputationSignal.Outcome.REJECTED
    if reputation.reputation_signal_record(
        kind=ReputationSignal.Kind.REPORT,
        ref_id=event.report_id,
        account_id=event.reporter_id,
        outcome=outcome,
    ):
        queue.send_on_commit(REFRESH_TASK, account_id=event.reporter_id, reason=f"report {outcome}")


def connect() -> None:
    """Install the provider and the handlers; let operators schedule the sweep."""
    from core.schedules import register_schedulable

    port.set_provider(trust_many)
    events.subscribe(events.AccountWarned, on_account_warned)
    events.subscribe(events.ReportResolved, on_report_resolved)
    register_schedulable(
        SWEEP_TASK, description="recompute every account's trust score (ageing, follows, blocks)"
    )
