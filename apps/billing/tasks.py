"""Celery tasks of the billing app. Thin: each calls one service."""

from __future__ import annotations

from celery import shared_task

from apps.billing import services


@shared_task(name="billing.process_event", ignore_result=True)
def process_event_task(*, event_id: int) -> bool:
    """Process one stored Stripe event (exactly once; failures are kept for a retry)."""
    return services.event_process(event_id=event_id)


@shared_task(name="billing.mirror_event", ignore_result=True)
def mirror_event_task(*, event_id: int) -> bool:
    """Copy one processed Stripe event into dj-stripe's tables (finance's dj-stripe pages)."""
    from apps.billing.services import mirror

    return mirror.event_mirror(event_id=event_id)


@shared_task(name="billing.retry_events", ignore_result=True)
def retry_events_task() -> int:
    """Periodic: send again the Stripe events whose retry is due, and failed mirrors."""
    from apps.billing.services import mirror

    return services.events_retry_due() + mirror.mirrors_due()


@shared_task(name="billing.dunning", ignore_result=True)
def dunning_task() -> int:
    """Periodic: tell the accounts whose grace period ended that they are on the free plan."""
    return services.lapses_notify()


@shared_task(name="billing.accrue_watch_time", ignore_result=True)
def accrue_watch_time_task() -> int:
    """Periodic: post the watch-time revenue of the days that have ended."""
    from django.utils import timezone

    return services.watch_time_accrue(until=timezone.now().date())


@shared_task(name="billing.payout_batch", ignore_result=True)
def payout_batch_task() -> dict:
    """Periodic (daily): pay last month's batch, or finish it; a finished batch does nothing."""
    from apps.billing import stripe_api

    if not stripe_api.is_configured():
        return {"skipped": "billing not configured"}
    report = services.payout_batch_run()
    return {"period": f"{report.period:%Y-%m}", "paid": report.paid, "pending": report.pending}
