"""Celery tasks of the protection app. Thin: each calls one service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from apps.protection.services import reputation, shields


@shared_task(name="protection.shields_expire", ignore_result=True, expires=50)
def shields_expire_task() -> int:
    """Periodic (every minute): lower the shields whose time ran out, with their recap."""
    return shields.shields_expire_due()


@shared_task(name="protection.reputation_refresh", ignore_result=True)
def reputation_refresh_task(*, account_id: int, reason: str = "") -> int:
    """Recompute one account's trust after an event about it; returns how many changed."""
    return len(reputation.reputations_recompute(account_ids=[account_id], reason=reason))


@shared_task(name="protection.reputation_sweep", ignore_result=True, expires=3600)
def reputation_sweep_task() -> int:
    """Periodic (hourly): recompute every account, for ageing, follows and blocks."""
    return reputation.reputations_sweep()
