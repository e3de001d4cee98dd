"""Celery tasks of the review side. Thin: each calls one service.

``strikes_expire_task`` runs hourly: migration ``moderation.0002`` creates its
django-celery-beat ``PeriodicTask`` ("moderation: expire strikes and apply the
strike policy"), which operators may retime or disable in the admin.
"""

from __future__ import annotations

from celery import shared_task

from apps.moderation import services, strikes


@shared_task(name="moderation.strikes.expire", ignore_result=True)
def strikes_expire_task() -> int:
    """Expire strikes past their date and lift policy restrictions they no longer support."""
    expired = strikes.strikes_expire()
    services.queue_metrics_refresh()
    return expired
