"""Reads of live streams, with who may see which applied everywhere.

Who may see a stream: its owner always; anybody else only while the owner can act
(not suspended or disabled) and does not block them, and then by visibility:
``public`` and ``unlisted`` everybody (``unlisted`` is left out of the lists of what
is live), ``followers`` the owner's accepted followers, ``subscribers`` the paying
members of the owner's tiers (``core.memberships``). A stream someone may not see
is a 404, never a 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import able_to_act_q
from apps.feed.models import Block, Follow
from apps.live.models import Stream
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
    """What is live now that ``viewer`` may see (of ``account_id`` only, when given)."""
    streams = streams_visible_to(viewer, listed=True).filter(state=Stream.State.LIVE)
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
