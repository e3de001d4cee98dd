"""Reads of live streams, with who may see which applied everywhere.

Who may see a stream: its owner always; anybody else only while the owner can act
(not suspended or disabled) and does not block them, and then by visibility:
``public`` and ``unlisted`` everybody (``unlisted`` is left out of the lists of what
is live), ``followers`` the owner's accepted followers, ``subscribers`` the paying
members of the owner's tiers (``core.memberships``). A stream someone may not see
is a 404, never a 403.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import Standing, User, able_to_act_q
from apps.feed.models import Block, Follow
from apps.live.models import ChannelModerator, ChatMessage, Stream
from core import errors, memberships


def _signed_in(viewer: Any) -> bool:
    return viewer is not None and getattr(viewer, "is_authenticated", False)


def streams_visible_to(viewer: Any, *, listed: bool = False) -> QuerySet[Stream]:
    """Streams ``viewer`` (or anonymous) may see; ``listed``: only those a list may show."""
    shown = [Stream.Visibility.PUBLIC]
    if not listed:
        shown.append(Stream.Visibility.UNLISTED)
    others = Q(visibility__in=shown)
    streams = Stream.objects.select_related("replay")
    if not _signed_in(viewer):
        return streams.filter(others & able_to_act_q("account__"))
    followed = Follow.objects.filter(account=viewer).values("target_id")
    others |= Q(visibility=Stream.Visibility.FOLLOWERS, account_id__in=followed)
    creators = memberships.creators_of(viewer)
    if creators:
        others |= Q(visibility=Stream.Visibility.SUBSCRIBERS, account_id__in=creators)
    blocking = Block.objects.filter(target=viewer).values("account_id")
    others &= able_to_act_q("account__") & ~Q(account_id__in=blocking)
    return streams.filter(Q(account=viewer) | others)


def streams_live(*, viewer: Any, account_id: int | None = None) -> QuerySet[Stream]:
    """What is live now that ``viewer`` may see (of ``account_id`` only, when given).

    A limited account's streams are listed to its followers only, as its statuses are
    left out of the public timelines (the standing page says so).
    """
    streams = streams_visible_to(viewer, listed=True).filter(state=Stream.State.LIVE)
    limited = User.objects.with_standing(Standing.LIMITED).values("pk")
    if _signed_in(viewer):
        followed = Follow.objects.filter(account=viewer).values("target_id")
        streams = streams.exclude(
            Q(account_id__in=limited) & ~Q(account_id__in=followed) & ~Q(account=viewer)
        )
    else:
        streams = streams.exclude(account_id__in=limited)
    if account_id is not None:
        streams = streams.filter(account_id=account_id)
    return streams


def stream_get_for_viewer(*, viewer: Any, stream_id: int) -> Stream:
    """The stream if ``viewer`` may see it; raises :class:`core.errors.NotFound` otherwise."""
    stream = streams_visible_to(viewer).filter(pk=stream_id).first()
    if stream is None:
        raise errors.NotFound(_("Record not found"))
    return stream


def stream_get_for_owner(*, owner: Any, stream_id: int) -> Stream:
    """One of ``owner``'s own streams; another account's is a :class:`NotFound` as well."""
    stream = Stream.objects.filter(pk=stream_id, account=owner).first()
    if stream is None:
        raise errors.NotFound(_("Record not found"))
    return stream


# Chat --------------------------------------------------------------------------


def chat_messages_recent(*, stream_id: int, limit: int, max_id: int | None = None) -> list[Any]:
    """The latest ``limit`` visible messages of a stream (older than ``max_id``), oldest first,
    with their authors (one query)."""
    messages = ChatMessage.objects.filter(stream_id=stream_id, state=ChatMessage.State.VISIBLE)
    if max_id is not None:
        messages = messages.filter(pk__lt=max_id)
    latest = list(messages.select_related("author").order_by("-id")[:limit])
    latest.reverse()
    return latest


def chat_replay(*, stream: Stream, start: float, end: float, limit: int) -> list[Any]:
    """The visible messages of ``stream`` said from ``start`` to before ``end`` seconds after it
    went live, oldest first, at most ``limit``, with their authors (one query). Messages hidden
    or removed are never replayed."""
    if stream.started_at is None:
        return []
    return list(
        ChatMessage.objects.filter(
            stream_id=stream.pk,
            state=ChatMessage.State.VISIBLE,
            created_at__gte=stream.started_at + timedelta(seconds=start),
            created_at__lt=stream.started_at + timedelta(seconds=end),
        )
        .select_related("author")
        .order_by("created_at", "id")[:limit]
    )


def chat_may_moderate(*, account: Any, channel_id: int) -> bool:
    """Whether ``account`` is the streamer of ``channel_id`` or one of its moderators."""
    if not _signed_in(account):
        return False
    if account.pk == channel_id:
        return True
    return ChannelModerator.objects.filter(channel_id=channel_id, moderator=account).exists()


def chat_messages_for_assessment(message_ids: list[int]) -> list[dict[str, Any]]:
    """What moderation needs to assess chat messages, by id: visible and hidden ones (a
    removed message is gone), with the author's name and age and the stream, one query."""
    rows = (
        ChatMessage.objects.filter(pk__in=message_ids)
        .exclude(state=ChatMessage.State.REMOVED)
        .order_by()
        .values(
            "id",
            "text",
            "state",
            "created_at",
            "stream_id",
            "reply_to_id",
            "reply_to__author_id",
            "author_id",
            "author__username",
            "author__date_joined",
            "stream__account_id",
        )
    )
    return [dict(row) for row in rows]


def chat_message_get(*, message_id: int) -> Any:
    """One chat message whatever its state, with its author and stream (staff's views), or None."""
    return ChatMessage.objects.select_related("author", "stream").filter(pk=message_id).first()
