"""A channel's moderation: the streamer's and its moderators' powers, and staff's.

The streamer (the channel: its account) and the channel moderators it appoints delete
messages, time accounts out, ban them from every stream of the channel and change the
chat's rules live; platform staff do the same from the admin, audited; moderation's
decisions (``ContentActioned``) hide or remove messages. Each change is told to the
stream's room (:mod:`apps.live.services.rooms`) after it commits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.live.models import ChannelBan, ChannelModerator, ChatMessage, ChatTimeout, Stream
from apps.live.selectors import chat_may_moderate
from apps.live.services.chat_settings import chat_rules, chat_settings_clean
from apps.live.services.rooms import room_send
from core import audit, errors

TIMEOUT_MAX_SECONDS = 7 * 24 * 3600


def _actor_name(actor: Any) -> str:
    name = actor if isinstance(actor, str) else getattr(actor, "username", "")
    return (name or "")[:150]


def _require_moderator(*, actor: Any, channel_id: int) -> None:
    if not chat_may_moderate(account=actor, channel_id=channel_id):
        raise errors.Forbidden(
            _("Only the streamer and its channel moderators may do this."), code="not_moderator"
        )


def _target_account(*, account_id: Any, channel_id: int, actor: Any) -> Any:
    """The account a moderator acts on: it exists, is not the streamer, and a channel
    moderator is acted on by the streamer only."""
    if isinstance(account_id, bool) or not isinstance(account_id, (int, str)):
        raise errors.Invalid({"account_id": [_("is not an id")]})
    try:
        account_pk = int(account_id)
    except ValueError:
        raise errors.Invalid({"account_id": [_("is not an id")]}) from None
    target = get_user_model().objects.filter(pk=account_pk).first()
    if target is None:
        raise errors.NotFound(_("Record not found"))
    if target.pk == channel_id:
        raise errors.Forbidden(_("The streamer cannot be acted on."), code="target_streamer")
    if (
        actor.pk != channel_id
        and ChannelModerator.objects.filter(channel_id=channel_id, moderator=target).exists()
    ):
        raise errors.Forbidden(
            _("Only the streamer may act on a channel moderator."), code="target_moderator"
        )
    return target


def _channel_rooms_send(channel_id: int, event: str, payload: dict[str, Any]) -> None:
    """Tell every open (idle or live) stream of ``channel_id``, after commit."""
    for stream_id in (
        Stream.objects.filter(account_id=channel_id)
        .exclude(state=Stream.State.ENDED)
        .values_list("pk", flat=True)
    ):
        room_send(stream_id, event, payload)


def chat_message_delete(
    *, actor: Any, stream: Stream, message_id: int, reason: str = ""
) -> ChatMessage:
    """Remove a message for everyone (``delete`` in the room): the streamer, a channel
    moderator, or the message's author. Raises NotFound (not in this chat) or Forbidden."""
    with transaction.atomic():
        message = (
            ChatMessage.objects.select_for_update()
            .filter(pk=message_id, stream_id=stream.pk)
            .first()
        )
        if message is None:
            raise errors.NotFound(_("Record not found"))
        if message.author_id != getattr(actor, "pk", None):
            _require_moderator(actor=actor, channel_id=stream.account_id)
        if message.state == ChatMessage.State.REMOVED:
            return message
        message.state = ChatMessage.State.REMOVED
        message.state_by = _actor_name(actor)
        message.state_reason = (reason or "").strip()[:500]
        message.save(update_fields=["state", "state_by", "state_reason", "updated_at"])
        room_send(stream.pk, "delete", {"id": str(message.pk)})
    return message


def _duration(seconds: Any) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise errors.Invalid({"seconds": [_("must be a whole number")]})
    if not 1 <= seconds <= TIMEOUT_MAX_SECONDS:
        raise errors.Invalid(
            {"seconds": [_("must be between 1 and %(max)d") % {"max": TIMEOUT_MAX_SECONDS}]}
        )
    return seconds


def chat_timeout(
    *,
    actor: Any,
    stream: Stream,
    account_id: Any,
    seconds: Any,
    reason: str = "",
    staff: bool = False,
) -> ChatTimeout:
    """Keep ``account_id`` quiet in the channel for ``seconds`` (``timeout`` in the room).

    ``staff``: a platform moderator from the admin (audited), with the streamer's powers.
    Raises Forbidden (not a moderator; the streamer, or a moderator by a moderator),
    NotFound (no such account), Invalid (a duration out of 1 s .. 7 days).
    """
    if not staff:
        _require_moderator(actor=actor, channel_id=stream.account_id)
    seconds = _duration(seconds)
    target = _target_account(
        account_id=account_id,
        channel_id=stream.account_id,
        actor=actor if not staff else _Streamer(stream.account_id),
    )
    until = timezone.now() + timedelta(seconds=seconds)
    with transaction.atomic():
        timeout = ChatTimeout.objects.create(
            channel_id=stream.account_id,
            stream=stream,
            account=target,
            until=until,
            reason=(reason or "").strip()[:500],
            timed_out_by=_actor_name(actor),
        )
        if staff:
            audit.live_chat_timeout_changed(
                actor=actor, channel_id=stream.account_id, account_id=target.pk, until=until,
                added=True, reason=timeout.reason,
            )  # fmt: skip
        room_send(
            stream.pk,
            "timeout",
            {
                "account_id": str(target.pk),
                "until": until.isoformat().replace("+00:00", "Z"),
                "seconds": seconds,
            },
        )
    return timeout


def chat_ban(
    *, actor: Any, channel_id: int, account_id: Any, reason: str = "", staff: bool = False
) -> ChannelBan:
    """Ban ``account_id`` from every stream of ``channel_id`` (``ban`` in its open rooms).

    ``staff``: a platform moderator from the admin (audited) rather than the streamer or a
    channel moderator. Banning twice keeps the first ban. Raises Forbidden or NotFound as
    :func:`chat_timeout`.
    """
    if not staff:
        _require_moderator(actor=actor, channel_id=channel_id)
    target = _target_account(
        account_id=account_id,
        channel_id=channel_id,
        actor=actor if not staff else _Streamer(channel_id),
    )
    with transaction.atomic():
        ban, created = ChannelBan.objects.get_or_create(
            channel_id=channel_id,
            account=target,
            defaults={"reason": (reason or "").strip()[:500], "banned_by": _actor_name(actor)},
        )
        if created:
            if staff:
                audit.live_channel_ban_changed(
                    actor=actor, channel_id=channel_id, account_id=target.pk, banned=True,
                    reason=ban.reason,
                )  # fmt: skip
            _channel_rooms_send(channel_id, "ban", {"account_id": str(target.pk)})
    return ban


def chat_timeout_lift(*, actor: Any, timeout: ChatTimeout) -> bool:
    """Staff end ``timeout`` now (audited); whether it was still running."""
    now = timezone.now()
    with transaction.atomic():
        lifted = ChatTimeout.objects.filter(pk=timeout.pk, until__gt=now).update(until=now)
        if lifted:
            audit.live_chat_timeout_changed(
                actor=actor, channel_id=timeout.channel_id, account_id=timeout.account_id,
                until=timeout.until, added=False,
            )  # fmt: skip
    return bool(lifted)


class _Streamer:
    """Stands for the streamer as the actor: staff act with the streamer's powers."""

    def __init__(self, channel_id: int) -> None:
        self.pk = channel_id


def chat_unban(*, actor: Any, channel_id: int, account_id: int, staff: bool = False) -> bool:
    """Lift ``account_id``'s ban from ``channel_id``; whether there was one."""
    if not staff:
        _require_moderator(actor=actor, channel_id=channel_id)
    with transaction.atomic():
        deleted, _by_model = ChannelBan.objects.filter(
            channel_id=channel_id, account_id=account_id
        ).delete()
        if deleted and staff:
            audit.live_channel_ban_changed(
                actor=actor, channel_id=channel_id, account_id=account_id, banned=False
            )
    return bool(deleted)


def chat_mode(*, actor: Any, stream: Stream, changes: Any) -> dict[str, Any]:
    """Change ``stream``'s chat rules live (``mode`` in the room, with every rule in force).

    Raises Forbidden (not a moderator), Invalid (:func:`chat_settings_clean`), Conflict (ended).
    """
    _require_moderator(actor=actor, channel_id=stream.account_id)
    clean = chat_settings_clean(changes)
    with transaction.atomic():
        stream = Stream.objects.select_for_update().get(pk=stream.pk)
        if stream.state == Stream.State.ENDED:
            raise errors.Conflict(
                _("The stream has ended: its chat is closed."), code="stream_ended"
            )
        stored = stream.chat_settings if isinstance(stream.chat_settings, dict) else {}
        stream.chat_settings = {**stored, **clean}
        stream.save(update_fields=["chat_settings", "updated_at"])
        rules = chat_rules(stream).as_dict()
        room_send(stream.pk, "mode", rules)
    return rules


def channel_moderator_add(
    *, actor: Any, channel_id: int, account_id: Any, staff: bool = False
) -> ChannelModerator:
    """Appoint ``account_id`` a moderator of ``channel_id``: the streamer itself, or staff
    (audited). Raises Forbidden (anybody else; the streamer itself), NotFound."""
    if not staff and getattr(actor, "pk", None) != channel_id:
        raise errors.Forbidden(_("Only the streamer appoints moderators."), code="not_streamer")
    target = _target_account(
        account_id=account_id, channel_id=channel_id, actor=_Streamer(channel_id)
    )
    with transaction.atomic():
        moderator, created = ChannelModerator.objects.get_or_create(
            channel_id=channel_id, moderator=target, defaults={"added_by": _actor_name(actor)}
        )
        if created and staff:
            audit.live_channel_moderator_changed(
                actor=actor, channel_id=channel_id, moderator_id=target.pk, added=True
            )
    return moderator


def channel_moderator_remove(
    *, actor: Any, channel_id: int, account_id: int, staff: bool = False
) -> bool:
    """Dismiss a channel moderator; whether there was one."""
    if not staff and getattr(actor, "pk", None) != channel_id:
        raise errors.Forbidden(_("Only the streamer appoints moderators."), code="not_streamer")
    with transaction.atomic():
        deleted, _by_model = ChannelModerator.objects.filter(
            channel_id=channel_id, moderator_id=account_id
        ).delete()
        if deleted and staff:
            audit.live_channel_moderator_changed(
                actor=actor, channel_id=channel_id, moderator_id=account_id, added=False
            )
    return bool(deleted)


def _set_state(message: ChatMessage, *, state: str, by: str, reason: str) -> bool:
    """Give the row-locked ``message`` ``state``; a message leaving view is deleted in the
    room. Whether it changed."""
    if message.state == state:
        return False
    was_visible = message.is_visible
    message.state = state
    message.state_by = by[:150]
    message.state_reason = reason[:500]
    message.save(update_fields=["state", "state_by", "state_reason", "updated_at"])
    if was_visible:
        room_send(message.stream_id, "delete", {"id": str(message.pk)})
    return True


MODERATION_STATES = {
    "hide": ChatMessage.State.HIDDEN,
    "remove": ChatMessage.State.REMOVED,
    "approve": ChatMessage.State.VISIBLE,
    "restore": ChatMessage.State.VISIBLE,
}


def chat_message_moderate(*, message_id: int, action: str, reason: str = "") -> bool:
    """Carry out moderation's decision on a message (``ContentActioned``): hide or remove
    deletes it for everyone; approve or restore shows a hidden one again (a message its
    channel removed stays removed). Idempotent; whether it changed."""
    state = MODERATION_STATES.get(action)
    if state is None:
        return False
    with transaction.atomic():
        message = ChatMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            return False
        if state == ChatMessage.State.VISIBLE and message.state != ChatMessage.State.HIDDEN:
            return False
        return _set_state(message, state=state, by="moderation", reason=reason)


def chat_message_staff_set(*, actor: Any, message_id: int, state: str, reason: str = "") -> bool:
    """Staff hide (``hidden``) or restore (``visible``) a message from the admin, audited."""
    with transaction.atomic():
        message = ChatMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            raise errors.NotFound(_("Record not found"))
        state_before = message.state
        changed = _set_state(message, state=state, by=_actor_name(actor), reason=reason)
        if changed:
            audit.live_chat_message_moderated(
                actor=actor,
                message_id=message.pk,
                stream_id=message.stream_id,
                author_id=message.author_id,
                state_before=state_before,
                state=state,
                reason=reason,
            )
    return changed
