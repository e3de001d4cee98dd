"""Celery tasks of the protection app. Thin: each calls one service."""

from __future__ import annotations

from celery import shared_task

from apps.protection.services import shields


@shared_task(name="protection.shields_expire", ignore_result=True, expires=50)
def shields_expire_task() -> int:
    """Periodic (every minute): lower the shields whose time ran out, with their recap."""
    return shields.shields_expire_due()
