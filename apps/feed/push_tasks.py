"""Celery tasks of Web Push delivery. Thin: each calls a write of :mod:`apps.feed.services.push`.

``feed.push_notify`` runs once per batch of notifications (after their commit) and
enqueues one ``feed.push_deliver`` per subscription to push; that one retries on
its own (429, 5xx, out of reach), waiting longer each time, up to
``PUSH_MAX_ATTEMPTS`` tries. Both load by id and are safe to run twice (a push
delivered twice shows one notification: the app's handler keys it by
``notification_id``).
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from apps.feed.services import push

logger = logging.getLogger(__name__)

# Seconds before the first retry; each next one waits twice as long (capped).
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 60 * 60


@shared_task(name="feed.push_notify", ignore_result=True, soft_time_limit=60, time_limit=90)
def push_notify_task(*, notification_ids: list[int]) -> int:
    """Enqueue the deliveries of ``notification_ids`` to their recipients' subscriptions."""
    return push.push_notify(notification_ids=notification_ids)


@shared_task(
    bind=True,
    name="feed.push_deliver",
    ignore_result=True,
    max_retries=None,
    soft_time_limit=45,
    time_limit=60,
)
def push_deliver_task(self, *, subscription_id: int, notification_id: int) -> str:
    """Deliver one notification to one subscription, retrying what the push service defers."""
    try:
        return push.push_deliver(subscription_id=subscription_id, notification_id=notification_id)
    except push.PushRetry as deferred:
        if self.request.retries + 1 >= settings.PUSH_MAX_ATTEMPTS:
            logger.warning(
                "push: subscription %s given up after %s tries: %s",
                subscription_id,
                self.request.retries + 1,
                deferred,
            )
            return "failed"
        countdown = retry_countdown(retries=self.request.retries, retry_after=deferred.retry_after)
        raise self.retry(exc=deferred, countdown=countdown) from deferred


def retry_countdown(*, retries: int, retry_after: int | None) -> int:
    """Seconds before the next try after ``retries`` retries: 30, 60, 120... (at most an
    hour), or longer when the push service's Retry-After asks for it."""
    backoff = min(RETRY_BASE_SECONDS * 2**retries, RETRY_MAX_SECONDS)
    return max(backoff, min(retry_after or 0, RETRY_MAX_SECONDS))
