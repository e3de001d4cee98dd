"""Mastodon's streaming API, server side: who hears about what, and what each one hears.

Committed feed changes become channel-layer messages to one group per stream:

- ``timeline.user.<account id>``: the ``user`` stream (home timeline updates and notifications);
- ``timeline.user.<account id>.notification``: the ``user:notification`` stream;
- ``timeline.public`` and ``timeline.public.local``: public statuses (``.media`` after
  either: only those with media attachments);
- ``timeline.hashtag.<tag>`` and ``timeline.hashtag.<tag>.local``: public statuses with the tag;
- ``timeline.direct.<account id>``: the ``direct`` stream (``conversation`` events, rendered
  for their one account by :func:`apps.feed.selectors.account_conversation_for_stream`).
- ``timeline.list.<list id>``: the ``list`` stream, statuses entering the list (only its owner
  may subscribe: :func:`list_stream_allowed`).

A message names a status or notification by id and the group it was sent to; the consumer
(:mod:`apps.feed.consumers`) looks it up for its own viewer with :func:`status_for_viewer` and
:func:`notification_for_viewer`, which apply visibility, blocks and mutes, so a message sent
to a group never shows anyone more than the REST API would, and renders what they return with
the API's serializers (a members-only status reaches the same groups as any other, and only
its author and the author's members pass that filter). Only ``delete`` (an id) is the same
for everyone. This module renders
nothing: services call it to broadcast, so it must not depend on the interface layer
(``apps.feed.api``); ``tests/feed/test_feed_layers.py`` holds it to that.

Mastodon's rules for the audience (FanOutOnWriteService): a status reaches its author and the
author's followers (reblogs only those who show the author's reblogs); a direct status its author
and the accounts it mentions; a public original also reaches the public streams (unless it
replies to someone else) and the streams of its hashtags.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.accounts.models import BARRING_STANDINGS, able_to_act_q
from apps.feed import selectors
from apps.feed.fanout.audience import audience_ids, tag_follower_ids
from apps.feed.models import (
    Block,
    Follow,
    List,
    ListAccount,
    ModerationState,
    Mute,
    Notification,
    Status,
    Visibility,
)
from apps.feed.selectors.lists import lists_receiving
from apps.media.selectors import statuses_with_media
from core import events, realtime
from core.ids import parse_id

logger = logging.getLogger(__name__)

PUBLIC_GROUP = "timeline.public"
PUBLIC_LOCAL_GROUP = "timeline.public.local"
PUBLIC_MEDIA_GROUP = "timeline.public.media"
PUBLIC_LOCAL_MEDIA_GROUP = "timeline.public.local.media"
_PLAIN_TAG = re.compile(r"[a-z0-9_]{1,60}")

Message = tuple[str, dict[str, Any]]


# Groups --------------------------------------------------------------------


def user_group(account_id: int) -> str:
    return f"timeline.user.{account_id}"


def notification_group(account_id: int) -> str:
    return f"timeline.user.{account_id}.notification"


def direct_group(account_id: int) -> str:
    """The ``direct`` stream: ``conversation`` events of the account's direct threads."""
    return f"timeline.direct.{account_id}"


def list_group(list_id: int) -> str:
    return f"timeline.list.{list_id}"


def list_stream_allowed(*, account_id: int, list_id) -> bool:
    """Whether ``account_id`` may hear the ``list`` stream of ``list_id``: its owner only."""
    parsed = parse_id(list_id)
    return parsed is not None and List.objects.filter(pk=parsed, account_id=account_id).exists()


def sessions_group(account_id: int) -> str:
    """Every streaming connection an account's tokens hold open, whatever it listens to."""
    return f"sessions.{account_id}"


def on_account_restricted(event: events.AccountRestricted) -> None:
    """A suspended or disabled account's open streams close, as its tokens stop working.

    Reads the standing accounts recorded rather than the event, so a stale decision
    (accounts ignores it) closes nothing; accounts' handler runs first, being
    subscribed by a lower app.
    """
    from django.contrib.auth import get_user_model

    account = get_user_model().objects.filter(pk=event.account_id).first()
    if account is not None and account.standing_in_force in BARRING_STANDINGS:
        realtime.broadcast(sessions_group(account.pk), {"type": "stream.close"})


def hashtag_group(tag: str, *, local: bool = False) -> str:
    """The group of a hashtag stream (case-insensitive, as Mastodon's).

    Channel group names allow only ASCII letters, digits, ``-``, ``_`` and ``.`` and fewer than
    100 characters, so any other tag is named by a digest of its lower-cased form.
    """
    name = tag.lower()
    if not _PLAIN_TAG.fullmatch(name):
        name = "u" + hashlib.sha256(name.encode()).hexdigest()[:40]
    return f"timeline.hashtag.{name}.local" if local else f"timeline.hashtag.{name}"


# Audiences -----------------------------------------------------------------


def _home_audience(status: Status) -> set[int]:
    """Accounts whose ``user`` stream hears of ``status``: the feed store's audience rule
    (:func:`apps.feed.fanout.audience.audience_ids`: its author, and followers or the
    mentioned, and its hashtags' followers), less followers who cannot hold a stream open
    (suspended or disabled) and those who keep the author out of home with an exclusive list."""
    follower_rows: Iterable[tuple[int, bool]] = ()
    mentioned: Iterable[int] = ()
    tag_followers: Iterable[int] = ()
    if status.visibility == Visibility.PUBLIC and status.reblog_of_id is None:
        tag_followers = tag_follower_ids(status_id=status.pk).filter(able_to_act_q("account__"))
    if status.visibility == Visibility.DIRECT:
        mentioned = status.mentions.values_list("account_id", flat=True)
    else:
        follower_rows = (
            Follow.objects.filter(target_id=status.account_id)
            .filter(able_to_act_q("account__"))
            .values_list("account_id", "show_reblogs")
        )
    audience = set(
        audience_ids(
            author_id=status.account_id,
            visibility=status.visibility,
            is_reblog=status.reblog_of_id is not None,
            follower_rows=follower_rows,
            mentioned_ids=mentioned,
            tag_follower_ids=tag_followers,
        )
    )
    # Owners of exclusive lists holding the author read them there, not in home (Mastodon 4.2).
    if status.visibility != Visibility.DIRECT:
        audience -= set(
            ListAccount.objects.filter(account_id=status.account_id, list__exclusive=True)
            .exclude(list__account_id=status.account_id)
            .values_list("list__account_id", flat=True)
        )
    return audience


def _list_audience(status: Status) -> list[int]:
    """The lists whose ``list`` stream hears of ``status``: those the feed store pushes it into
    (:func:`apps.feed.selectors.lists.lists_receiving`, Mastodon's ``push_to_list``)."""
    return lists_receiving(
        author_id=status.account_id,
        visibility=status.visibility,
        is_reblog=status.reblog_of_id is not None,
        in_reply_to_account_id=status.in_reply_to_account_id,
    )


def _is_broadcastable(status: Status) -> bool:
    """Whether ``status`` goes to the public and hashtag streams (a visible public original)."""
    return (
        status.visibility == Visibility.PUBLIC
        and status.reblog_of_id is None
        and status.moderation_state == ModerationState.VISIBLE
        and status.account.is_able_to_act
        and not status.account.is_limited
    )


def _status_groups(status: Status) -> list[str]:
    """Every group that hears about ``status``: its home audience and its public streams."""
    groups = [user_group(account_id) for account_id in sorted(_home_audience(status))]
    groups += [list_group(list_id) for list_id in _list_audience(status)]
    if not _is_broadcastable(status):
        return groups
    if status.in_reply_to_account_id in (None, status.account_id):
        groups += [PUBLIC_GROUP, PUBLIC_LOCAL_GROUP]
        if statuses_with_media().filter(status_id=status.pk).exists():
            groups += [PUBLIC_MEDIA_GROUP, PUBLIC_LOCAL_MEDIA_GROUP]
    for name in sorted({tag.name.lower() for tag in selectors.status_tags(status)}):
        groups += [hashtag_group(name), hashtag_group(name, local=True)]
    return groups


def _status_messages(status: Status, event: str) -> list[Message]:
    return [
        (group, {"type": "stream.status", "event": event, "status_id": status.pk, "group": group})
        for group in _status_groups(status)
    ]


def _delete_messages(status: Status, *, spare_author: bool = False) -> list[Message]:
    """``delete`` for ``status`` and its reblogs, to everyone who heard of them.

    ``spare_author`` keeps the author's own stream out (a status hidden by moderation stays
    visible to its author).
    """
    messages: list[Message] = []
    reblogs = Status.objects.filter(reblog_of=status).select_related("account")
    for item in [status, *reblogs]:
        for group in _status_groups(item):
            if spare_author and group == user_group(status.account_id):
                continue
            messages.append(
                (group, {"type": "stream.delete", "status_id": item.pk, "group": group})
            )
    return messages


def _load_status(status_id: int) -> Status | None:
    return Status.objects.select_related("account").filter(pk=status_id).first()


# Broadcasting --------------------------------------------------------------


def on_content_published(event: events.ContentPublished) -> None:
    """A status was published (after commit): ``update`` to its audience."""
    if event.content_type != "status":
        return
    status = _load_status(event.content_id)
    if status is None or status.moderation_state != ModerationState.VISIBLE:
        return
    realtime.broadcast_many(_status_messages(status, "update"))


def on_content_updated(event: events.ContentUpdated) -> None:
    """A status was edited (after commit): ``status.update`` to its audience."""
    if event.content_type != "status":
        return
    status = _load_status(event.content_id)
    if status is None or status.moderation_state == ModerationState.REMOVED:
        return
    realtime.broadcast_many(_status_messages(status, "status.update"))


def on_content_actioned(event: events.ContentActioned) -> None:
    """Moderation removed or hid a status: ``delete`` it from the streams of those who lose it."""
    if event.content_type != "status" or event.action not in ("remove", "hide"):
        return
    status = _load_status(event.content_id)
    if status is None:
        return
    realtime.broadcast_many(_delete_messages(status, spare_author=event.action == "hide"))


def status_delete_broadcast_on_commit(*, status: Status) -> None:
    """Queue ``delete`` for ``status`` (and its reblogs) to go out when the deletion commits.

    Call before deleting the row: the audience (followers, mentions, tags) is read now, while
    the status still has its mentions and tags.
    """
    realtime.broadcast_many_on_commit(_delete_messages(status))


def notification_broadcast_on_commit(*, notification: Notification) -> None:
    """Queue a ``notification`` event to its recipient's ``user`` and ``user:notification`` streams."""
    notifications_broadcast_on_commit(notifications=[notification])


def notifications_broadcast_on_commit(*, notifications: list[Notification]) -> None:
    """Queue each notification to its recipient's streams, in one trip into the channel layer.

    A post that notifies many followers sends one batch after commit, not one per recipient.
    """
    realtime.broadcast_many_on_commit(
        [
            (
                group,
                {"type": "stream.notification", "notification_id": notification.pk, "group": group},
            )
            for notification in notifications
            for group in (
                user_group(notification.account_id),
                notification_group(notification.account_id),
            )
        ]
    )


def notifications_merged_broadcast_on_commit(*, account_id: int) -> None:
    """Queue ``notifications_merged`` to the account's notification streams: notifications
    its policy held back joined its list (Mastodon sends it once accepted requests are merged)."""
    realtime.broadcast_many_on_commit(
        [
            (group, {"type": "stream.notifications_merged", "group": group})
            for group in (user_group(account_id), notification_group(account_id))
        ]
    )


def conversations_broadcast_on_commit(*, account_conversations: Iterable) -> None:
    """Queue a ``conversation`` event to each AccountConversation's account's ``direct`` stream.

    The message names the row; the consumer renders it for its viewer after commit.
    """
    realtime.broadcast_many_on_commit(
        [
            (
                direct_group(row.account_id),
                {
                    "type": "stream.conversation",
                    "account_conversation_id": row.pk,
                    "group": direct_group(row.account_id),
                },
            )
            for row in account_conversations
        ]
    )


def connect() -> None:
    """Subscribe the streaming broadcasts to the feed's events (from ``AppConfig.ready``)."""
    events.subscribe(events.ContentPublished, on_content_published)
    events.subscribe(events.ContentUpdated, on_content_updated)
    events.subscribe(events.ContentActioned, on_content_actioned)
    events.subscribe(events.AccountRestricted, on_account_restricted)


# What one viewer hears ------------------------------------------------------


def _is_muted(viewer, status: Status) -> bool:
    authors = {status.account_id}
    if status.reblog_of is not None:  # no query when it is not a reblog
        authors.add(status.reblog_of.account_id)
    return (
        Mute.objects.filter(account=viewer, target_id__in=authors)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .exists()
    )


def _visible_status(*, viewer, status_id: int) -> Status | None:
    """The status with everything its entity shows, if ``visible_to`` lets ``viewer`` see it."""
    visible = Status.objects.visible_to(viewer)
    return selectors.with_relations(visible).filter(pk=status_id).first()


def status_for_viewer(*, viewer, status_id: int) -> tuple[Status, selectors.ViewerState] | None:
    """The status ``viewer`` is streamed, with their own flags; None if they may not see it.

    Visibility and blocks as everywhere (``Status.objects.visible_to``); a status by (or
    reblogging) an account the viewer mutes is not streamed either, as Mastodon's home feed
    and streaming server filter them. The viewer's flags (favourited, reblogged, bookmarked)
    are their own. A fixed number of queries whatever the status holds.
    """
    status = _visible_status(viewer=viewer, status_id=status_id)
    if status is None or _is_muted(viewer, status):
        return None
    return status, selectors.viewer_state(viewer=viewer, statuses=[status])


def notification_for_viewer(
    *, viewer, notification_id: int
) -> tuple[Notification, selectors.ViewerState] | None:
    """The notification streamed to ``viewer`` (its recipient), with their flags, or None.

    None when it is not theirs, held back by their notification policy, its author is
    disabled or blocked by them, or its status is no longer visible to them (the rules of
    ``GET /api/v1/notifications``).
    """
    blocked = Block.objects.filter(account=viewer, target=OuterRef("from_account"))
    notification = (
        Notification.objects.filter(
            able_to_act_q("from_account__"), pk=notification_id, account=viewer, filtered=False
        )
        .filter(Q(status__isnull=True) | Q(status__in=Status.objects.visible_to(viewer)))
        .exclude(Exists(blocked))
        .select_related("from_account")
        .first()
    )
    if notification is None:
        return None
    statuses = []
    if notification.status_id is not None:
        status = _visible_status(viewer=viewer, status_id=notification.status_id)
        if status is None:
            return None
        notification.status = status
        statuses = [status]
    return notification, selectors.viewer_state(viewer=viewer, statuses=statuses)


def status_update_broadcast_on_commit(*, status: Status) -> None:
    """Queue ``status.update`` for ``status`` to its audience when the transaction commits
    (a quote revoked or a quote policy changed: Mastodon redistributes the status)."""
    if status.moderation_state == ModerationState.REMOVED:
        return
    realtime.broadcast_many_on_commit(_status_messages(status, "status.update"))
