"""Streams: create, rotate the key, end, kill (staff), delete."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.live.models import Stream
from apps.live.services.allowances import live_refusal
from apps.live.services.keys import internal_name_new, key_hash, key_new
from core import audit, errors, events

logger = logging.getLogger(__name__)

ENCODER = "encoder"


def _actor_name(actor: Any) -> str:
    name = actor if isinstance(actor, str) else getattr(actor, "username", "")
    return (name or "")[:150]


def _locked(stream: Stream) -> Stream:
    return Stream.objects.select_for_update().get(pk=stream.pk)


def stream_create(
    *,
    account: Any,
    title: str,
    description: str = "",
    visibility: str = Stream.Visibility.PUBLIC,
    chat_settings: dict[str, Any] | None = None,
) -> tuple[Stream, str]:
    """A new idle stream of ``account`` and its key: the only time, with
    :func:`stream_rotate_key`, that the key is known.

    Raises :class:`core.errors.Forbidden` with the reason when ``account`` may not go
    live (:func:`~apps.live.services.allowances.live_refusal`), and
    :class:`core.errors.Invalid`.
    """
    refusal = live_refusal(account)
    if refusal is not None:
        raise errors.Forbidden(refusal)
    key = key_new()
    stream = Stream(
        account=account,
        title=title.strip(),
        description=description.strip(),
        visibility=visibility,
        chat_settings=chat_settings or {},
        key_hash=key_hash(key),
        internal_name=internal_name_new(),
    )
    try:
        stream.full_clean()
    except ValidationError as error:
        raise errors.Invalid(error.message_dict) from None
    with transaction.atomic():
        stream.save(force_insert=True)
    return stream, key


def stream_rotate_key(*, stream: Stream) -> tuple[Stream, str]:
    """A new key for ``stream``; the old one is refused from now on. Returns the new key.

    An encoder already live goes on (nginx checks the key only when publishing starts).
    """
    key = key_new()
    with transaction.atomic():
        stream = _locked(stream)
        stream.key_hash = key_hash(key)
        stream.save(update_fields=["key_hash", "updated_at"])
    return stream, key


def end_locked(stream: Stream, *, by: str, reason: str) -> bool:
    """End the row-locked ``stream`` (in the caller's transaction); whether it changed."""
    if stream.state == Stream.State.ENDED:
        return False
    was_live = stream.state == Stream.State.LIVE
    stream.state = Stream.State.ENDED
    stream.ended_at = timezone.now()
    stream.ended_by = by[:150]
    stream.end_reason = reason[:500]
    stream.save(update_fields=["state", "ended_at", "ended_by", "end_reason", "updated_at"])
    if was_live:
        events.publish(events.LiveEnded(stream_id=stream.pk, account_id=stream.account_id))
    logger.info("live stream %s ended by %s", stream.pk, by, extra={"stream_id": stream.pk})
    return True


def stream_end(*, stream: Stream, actor: Any, reason: str = "") -> Stream:
    """End ``stream`` (its owner, staff, or the encoder stopping); ending an ended one is a no-op.

    A live stream publishes :class:`core.events.LiveEnded`; nginx drops the encoder at
    its next ``on_update``. An idle stream ends without ever having been live.
    """
    with transaction.atomic():
        stream = _locked(stream)
        end_locked(stream, by=_actor_name(actor), reason=reason.strip())
    return stream


def stream_kill(*, stream: Stream, actor: Any, reason: str) -> tuple[Stream, bool]:
    """Staff's kill switch: end ``stream``, rotate its key (the encoder cannot come back
    with it) and record who and why. Raises :class:`core.errors.Invalid` without a reason.

    Returns the stream and whether it was ended now (rather than already).
    """
    reason = reason.strip()
    if not reason:
        raise errors.Invalid({"reason": [_("the kill switch needs a reason")]})
    with transaction.atomic():
        stream = _locked(stream)
        state_before = stream.state
        ended = end_locked(stream, by=_actor_name(actor), reason=reason)
        stream.key_hash = key_hash(key_new())  # nobody learns this key: a new one is needed
        stream.save(update_fields=["key_hash", "updated_at"])
        audit.live_stream_killed(
            actor=actor,
            stream_id=stream.pk,
            account_id=stream.account_id,
            state_before=state_before,
            reason=reason,
        )
        events.publish(
            events.LiveStreamKilled(
                stream_id=stream.pk,
                account_id=stream.account_id,
                reason=reason,
                killed_at=timezone.now().isoformat(),
                actor_id=getattr(actor, "pk", None),
            )
        )
    return stream, ended


def stream_delete(*, stream: Stream) -> None:
    """Delete an idle or ended stream; a live one is a :class:`core.errors.Conflict` (end it first)."""
    with transaction.atomic():
        stream = _locked(stream)
        if stream.state == Stream.State.LIVE:
            raise errors.Conflict(_("The stream is live: end it first."), code="stream_live")
        stream.delete()
