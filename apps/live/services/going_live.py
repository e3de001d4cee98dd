"""Going live tells followers: a status by the streamer that links to the stream's watch page.

On :class:`core.events.LiveStarted` (:mod:`apps.live.handlers`) the streamer posts, through
the feed's own service, a status whose text links to the watch page (``/live/<id>`` on this
instance), with a link card of that page filled in here (the worker never fetches a page of
this instance) and the extension ``agora.live`` = ``{"stream_id": "<id>", "state": "live"}``
(:func:`apps.feed.services.status_extension_set`). The stream's visibility maps onto the
status's: ``public`` and ``unlisted`` as they are, ``followers`` to ``private``, and
``subscribers`` to ``private`` and members-only. When the stream ends the status stays;
its extension says ``ended``.

A stream is announced once, ever: the :class:`apps.live.models.LiveAnnouncement` row,
unique per stream and written in the status's transaction, makes a redelivered event a
no-op. A status the feed refuses (a title its text checks refuse, an author who may
no longer post) is not retried for ever: the refusal is recorded instead.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from apps.feed import services as feed_services
from apps.feed.models import Visibility
from apps.feed.services.cards import CardData, status_card_prefill
from apps.live.models import LiveAnnouncement, Stream
from core import errors
from core.base_url import absolute_url
from core.base_url import base_url as instance_url

logger = logging.getLogger(__name__)

EXTENSION = "live"
APPLICATION_NAME = "Agora Live"
#: The status's visibility and whether it is members-only, by the stream's visibility.
VISIBILITIES: dict[str, tuple[str, bool]] = {
    Stream.Visibility.PUBLIC: (Visibility.PUBLIC, False),
    Stream.Visibility.UNLISTED: (Visibility.UNLISTED, False),
    Stream.Visibility.FOLLOWERS: (Visibility.PRIVATE, False),
    Stream.Visibility.SUBSCRIBERS: (Visibility.PRIVATE, True),
}


def watch_url(stream_id: int) -> str:
    """The stream's watch page on this instance."""
    return absolute_url(f"/live/{stream_id}")


def live_extension(stream: Stream) -> dict[str, str]:
    """What the announcing status shows under ``agora.live``."""
    return {"stream_id": str(stream.pk), "state": stream.state}


def announcement_text(stream: Stream) -> str:
    return f"🔴 Live now: {stream.title}\n\n{watch_url(stream.pk)}"


def stream_announce(*, stream_id: int) -> LiveAnnouncement | None:
    """Post the status announcing live stream ``stream_id``, once.

    Returns the announcement (the existing one when it was announced before), or None when
    the stream is gone or never went live. Runs in one transaction with the stream's row
    locked, so two deliveries at once post one status.
    """
    with transaction.atomic():
        stream = Stream.objects.select_for_update().filter(pk=stream_id).first()
        if stream is None or stream.started_at is None:
            return None
        found = LiveAnnouncement.objects.filter(stream=stream).first()
        if found is not None:
            return found
        if stream.state != Stream.State.LIVE:  # ended before the event reached us
            return LiveAnnouncement.objects.create(stream=stream, skipped="ended before announced")
        visibility, members_only = VISIBILITIES[stream.visibility]
        try:
            with transaction.atomic():
                status = feed_services.status_create(
                    author=stream.account,
                    text=announcement_text(stream),
                    visibility=visibility,
                    members_only=members_only,
                    application_name=APPLICATION_NAME,
                )
                feed_services.status_extension_set(
                    status_id=status.pk, name=EXTENSION, value=live_extension(stream)
                )
                status_card_prefill(
                    status_id=status.pk,
                    data=CardData(
                        url=watch_url(stream.pk),
                        title=stream.title,
                        description=stream.description,
                        author_name=stream.account.display_name or stream.account.username,
                        provider_name=settings.AGORA_DOMAIN,
                        provider_url=instance_url(),
                    ),
                )
        except errors.PlatformError as error:
            logger.warning(
                "live stream %s not announced: %s", stream.pk, error.message,
                extra={"stream_id": stream.pk},
            )  # fmt: skip
            return LiveAnnouncement.objects.create(stream=stream, skipped=str(error.message)[:500])
        return LiveAnnouncement.objects.create(stream=stream, status=status)


def stream_announcement_update(*, stream_id: int) -> bool:
    """Show the stream's state (``ended``) on the status that announced it, if any.

    Safe to run twice. Returns whether there was a status to update.
    """
    stream = Stream.objects.filter(pk=stream_id).first()
    if stream is None:
        return False
    status_id = (
        LiveAnnouncement.objects.filter(stream=stream, status__isnull=False)
        .values_list("status_id", flat=True)
        .first()
    )
    if status_id is None:
        return False
    return feed_services.status_extension_set(
        status_id=status_id, name=EXTENSION, value=live_extension(stream)
    )
