"""Celery tasks of the home feed store (fan-out on write). Thin: each calls a write of
:mod:`apps.feed.fanout.writes`.

Every task loads by id and is safe to run twice (adding or removing an id twice
leaves a feed as once).
"""

from __future__ import annotations

from celery import shared_task

from apps.feed.fanout import lists, writes


@shared_task(name="feed.fanout", ignore_result=True)
def feed_fanout_task(*, status_id: int) -> int:
    """Push a published (or restored) status into its author's and active followers' feeds."""
    return writes.fanout_status(status_id=status_id)


@shared_task(name="feed.unpush", ignore_result=True)
def feed_unpush_task(*, status_id: int, author_id: int, reblog_of_id: int | None = None) -> int:
    """Take a deleted or removed status out of every feed it reached."""
    return writes.unpush_status(status_id=status_id, author_id=author_id, reblog_of_id=reblog_of_id)


@shared_task(name="feed.merge", ignore_result=True)
def feed_merge_task(*, follower_id: int, followee_id: int) -> int:
    """After a follow: merge the followee's recent statuses into the follower's feed."""
    return writes.merge_followee(follower_id=follower_id, followee_id=followee_id)


@shared_task(name="feed.unmerge", ignore_result=True)
def feed_unmerge_task(*, follower_id: int, followee_id: int) -> int:
    """After an unfollow or a block: take the former followee's statuses out of the feed."""
    return writes.unmerge_followee(follower_id=follower_id, followee_id=followee_id)


@shared_task(name="feed.list_merge", ignore_result=True)
def feed_list_merge_task(*, list_id: int, account_id: int) -> int:
    """After an account joins a list: merge its recent statuses into the list's feed."""
    return lists.merge_member(list_id=list_id, account_id=account_id)


@shared_task(name="feed.list_unmerge", ignore_result=True)
def feed_list_unmerge_task(*, list_id: int, account_id: int) -> int:
    """After an account leaves a list: take its statuses out of the list's feed."""
    return lists.unmerge_member(list_id=list_id, account_id=account_id)
