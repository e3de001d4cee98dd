"""nginx-rtmp's callbacks: publish (go live), publish done (end) and update (keep going?).

nginx names the stream by what the encoder sent, the key, on ``on_publish``, which
renames it to the stream's internal name (its recording, HLS and exec_push use that).
The later callbacks, though, still carry the name the encoder sent, the key: Debian's
nginx-rtmp (1.2.2, nginx 1.22) keeps it from before the redirect (checked against the
real server by tests/integration/test_live_ingest.py). So they accept either. Every
callback carries the shared secret, compared in constant time before anything else.
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.live.models import Stream
from apps.live.services.allowances import live_refusal
from apps.live.services.keys import key_hash, key_matches
from apps.live.services.streams import ENCODER, end_locked
from core import errors, events

logger = logging.getLogger(__name__)


def callback_authorize(secret: str | None) -> None:
    """Raise :class:`core.errors.Unavailable` when no callback secret is configured here,
    :class:`core.errors.Forbidden` when ``secret`` is not it."""
    configured = settings.LIVE_CALLBACK_SECRET
    if not configured:
        raise errors.Unavailable(_("Live ingest is not configured on this server."))
    if not hmac.compare_digest((secret or "").encode(), configured.encode()):
        raise errors.Forbidden(_("Wrong callback secret."))


def _refuse(reason: str, **extra) -> errors.Forbidden:
    logger.info("live publish refused: %s", reason, extra=extra)
    return errors.Forbidden(reason)


def ingest_publish(*, key: str) -> Stream:
    """An encoder pushes with ``key``: the idle stream it opens goes live.

    Publishes :class:`core.events.LiveStarted`. Raises :class:`core.errors.Forbidden`
    (nginx refuses the publish) for an unknown or rotated key, a stream already live or
    ended, or an account that may not go live (barred, or no plan nor allowance).
    """
    digest = key_hash(key or "")
    with transaction.atomic():
        stream = Stream.objects.select_for_update().filter(key_hash=digest).first()
        if stream is None or not key_matches(key or "", stream.key_hash):
            raise _refuse("unknown stream key")
        if stream.state != Stream.State.IDLE:
            raise _refuse(f"stream is {stream.state}", stream_id=stream.pk)
        refusal = live_refusal(stream.account)
        if refusal is not None:
            raise _refuse(refusal, stream_id=stream.pk)
        stream.state = Stream.State.LIVE
        stream.started_at = timezone.now()
        stream.publish_key_hash = digest
        stream.save(update_fields=["state", "started_at", "publish_key_hash", "updated_at"])
        events.publish(
            events.LiveStarted(
                stream_id=stream.pk, account_id=stream.account_id, visibility=stream.visibility
            )
        )
    logger.info("live stream %s started", stream.pk, extra={"stream_id": stream.pk})
    return stream


def stream_named(streams: QuerySet[Stream], name: str) -> Stream | None:
    """The stream nginx calls ``name``: its internal name, or the key it was published with.

    nginx-rtmp names the stream by the key on its later callbacks, even after on_publish
    renamed it. The key it was published with (``publish_key_hash``) keeps finding it when
    the owner rotates the key while live, so the encoder goes on and its end is heard; the
    kill switch ends the stream itself, so on_update answers 404 and nginx drops the encoder.
    """
    digest = key_hash(name or "")
    return streams.filter(
        Q(internal_name=name) | Q(publish_key_hash=digest) | Q(key_hash=digest)
    ).first()


def ingest_publish_done(*, internal_name: str) -> Stream:
    """The encoder stopped: the live stream named ``internal_name`` ends (publishing
    :class:`core.events.LiveEnded`); an ended one stays as it is. Raises NotFound."""
    with transaction.atomic():
        stream = stream_named(Stream.objects.select_for_update(), internal_name)
        if stream is None:
            raise errors.NotFound(_("Record not found"))
        if stream.state == Stream.State.LIVE:
            end_locked(stream, by=ENCODER, reason="")
    return stream


def ingest_update(*, internal_name: str) -> Stream:
    """nginx asks, every interval, whether the stream named ``internal_name`` goes on.

    Raises :class:`core.errors.NotFound` unless it is live (ended by its owner or by
    the kill switch): nginx then drops the encoder.
    """
    stream = stream_named(Stream.objects.filter(state=Stream.State.LIVE), internal_name)
    if stream is None:
        raise errors.NotFound(_("Record not found"))
    return stream
