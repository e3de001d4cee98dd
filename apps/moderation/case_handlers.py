"""Event subscriptions of the review side.

Reports and cases come in through services (the API, the pipeline's
``queue_for_review``); the events heard here keep the queue gauge true when an
author deletes content under review, and give a strike to the owner of a live stream
staff killed; the gauge itself reads the database when
scraped (:func:`apps.moderation.services.queue_metrics_connect`). The Celery task module is imported so
workers register its tasks.
"""

from __future__ import annotations

from django.apps import apps

from core import events


def on_content_deleted(event: events.ContentDeleted) -> None:
    from apps.moderation import services

    services.queue_metrics_refresh()


def on_live_stream_killed(event: events.LiveStreamKilled) -> None:
    """Staff's kill switch ended a stream: its owner gets a strike with the reason.

    Delivered at least once: a second delivery finds the strike of the first (the same
    warning text for the same account, given after the kill) and gives none.
    """
    from datetime import datetime

    from django.conf import settings
    from django.utils.translation import gettext as _

    from apps.accounts.models import User
    from apps.moderation.models import Strike
    from apps.moderation.strikes import strike_create

    if not settings.MODERATION_STRIKE_ON_LIVE_KILL:
        return
    account = User.objects.filter(pk=event.account_id).first()
    if account is None:
        return
    text = _("Your live stream was ended by a moderator: %(reason)s") % {"reason": event.reason}
    given = Strike.objects.filter(
        account=account,
        action=Strike.Action.NONE,
        text=text,
        created_at__gte=datetime.fromisoformat(event.killed_at),
    )
    if given.exists():
        return
    moderator = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    strike_create(account=account, action=Strike.Action.NONE, text=text, created_by=moderator)


def on_pile_on_detected(event: events.PileOnDetected) -> None:
    """Protection raised a shield over a pile-on: open the one case grouping it, and tell
    protection which case it is (shown with the shield in its back office)."""
    from apps.moderation.services.queue import pile_on_case_open
    from apps.protection.services.shields import shield_case_set

    case = pile_on_case_open(
        shield_id=event.shield_id, account_id=event.account_id, sender_ids=event.sender_ids
    )
    shield_case_set(shield_id=event.shield_id, case_id=case.pk)


def connect() -> None:
    from apps.moderation import (
        case_tasks,  # noqa: F401 (registers the Celery task)
        services,
    )

    services.queue_metrics_connect()

    events.subscribe(events.ContentDeleted, on_content_deleted)
    events.subscribe(events.LiveStreamKilled, on_live_stream_killed)
    if apps.is_installed("apps.protection"):
        events.subscribe(events.PileOnDetected, on_pile_on_detected)
