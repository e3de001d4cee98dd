"""Celery tasks that notify the end of polls. Thin: each calls :mod:`apps.feed.services.polls`.

``feed.poll_expire`` is sent for a poll's end when it is created; the periodic
``feed.polls_expire_due`` (migration ``feed.0007``, every five minutes) is the
safety net for a message the broker lost. Both are safe to run twice.
"""

from __future__ import annotations

from celery import shared_task

from apps.feed.services.polls import poll_expire, polls_expire_due


@shared_task(name="feed.poll_expire", ignore_result=True)
def poll_expire_task(*, poll_id: int) -> bool:
    """Notify the end of one poll to its author and voters (nothing before it ends)."""
    return poll_expire(poll_id=poll_id)


@shared_task(name="feed.polls_expire_due", ignore_result=True)
def polls_expire_due_task() -> int:
    """Notify every poll that has ended and was not notified yet."""
    return polls_expire_due()
