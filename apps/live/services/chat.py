"""A stream's chat: saying something, and the streamer's and its moderators' powers.

Every message is checked against the chat's rules (:mod:`apps.live.services.chat_settings`)
in a fixed order, each refusal with its own message and ``code``; then by the synchronous
``core.checks``; then it is stored, published as content of type ``chat_message`` (so
moderation assesses it) and, once committed, broadcast to the stream's room
(:mod:`apps.live.services.rooms`). Moderation's hide or remove decision comes back as
``ContentActioned`` (:mod:`apps.live.handlers`) and deletes it for everyone at once.

Who may moderate a channel (the streamer's account): the streamer and the channel
moderators it appoints; platform staff do the same from the admin, audited.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed.models import Block, Follow
from apps.live.models import ChannelBan, ChannelModerator, ChatMessage, ChatTimeout, Stream
from apps.live.selectors import chat_may_moderate, stream_get_for_viewer, streams_visible_to
from apps.live.services.chat_settings import chat_rules, chat_settings_clean
from apps.live.services.rooms import room_send
from core import audit, checks, errors, events, memberships

logger = logging.getLogger(__name__)

CONTENT_TYPE = "chat_message"
TIMEOUT_MAX_SECONDS = 7 * 24 * 3600
RATE_KEY = "live:chat:rate:{stream}:{account}"
SLOW_KEY = "live:chat:slow:{stream}:{account}"


class RateLimited(errors.PlatformError):
    """Too many messages too fast (429): the per-account rate limit or slow mode."""

    status = 429
    default_message = "Too many messages"
    default_code = "rate_limited"


def _actor_name(actor: Any) -> str:
    name = actor if isinstance(actor, str) else getattr(actor, "username", "")
    return (name or "")[:150]


# What a message looks like on the socket and in the API -----------------------------


def chat_message_payload(message: ChatMessage) -> dict[str, Any]:
    """A message as the room and the API show it (its author must be loaded)."""
    author = message.author
    return {
        "id": str(message.pk),
        "stream_id": str(message.stream_id),
        "account": {
            "id": str(author.pk),
            "username": author.username,
            "display_name": getattr(author, "display_name", "") or author.username,
        },
        "text": message.text,
        "reply_to_id": str(message.reply_to_id) if message.reply_to_id else None,
        "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
    }


# Saying something ----------------------------------------------------------------------

_EMOJI_JOINERS = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}


def is_emoji_only(text: str) -> bool:
    """Whether ``text`` holds nothing but emoji (and spaces): pictographs, their modifiers,
    joiners and keycaps, and custom emoji shortcodes such as ``:blobcat:``."""
    seen = False
    for word in text.split():
        if (
            len(word) > 2
            and word.startswith(":")
            and word.endswith(":")
            and word[1:-1].replace("_", "").isalnum()
        ):
            seen = True
            continue
        for char in word:
            if char in _EMOJI_JOINERS or unicodedata.category(char) == "Mn":
                continue
            if unicodedata.category(char) not in ("So", "Sk"):
                return False
            seen = True
    return seen


def _stream_for_author(*, author: Any, stream_id: int) -> Stream:
    """The stream ``author`` may see, annotated with everything the rules ask of the author:
    banned, blocked, timed out until, a moderator, following since (one query)."""
    channel = OuterRef("account_id")
    stream = (
        streams_visible_to(author)
        .filter(pk=stream_id)
        .annotate(
            author_is_banned=Exists(ChannelBan.objects.filter(channel_id=channel, account=author)),
            author_is_blocked=Exists(Block.objects.filter(account_id=channel, target=author)),
            author_is_moderator=Exists(
                ChannelModerator.objects.filter(channel_id=channel, moderator=author)
            ),
            author_timed_out_until=Subquery(
                ChatTimeout.objects.filter(channel_id=channel, account=author)
                .order_by()
                .values("channel_id")
                .annotate(latest=Max("until"))
                .values("latest")[:1]
            ),
            author_follows_since=Subquery(
                Follow.objects.filter(account=author, target_id=channel).values("created_at")[:1]
            ),
        )
        .first()
    )
    if stream is None:
        raise errors.NotFound(_("Record not found"))
    return stream


def _check_account(author: Any) -> None:
    if author is None or not getattr(author, "is_authenticated", False):
        raise errors.Forbidden(_("Sign in to chat."), code="unauthorized")
    if not author.is_able_to_act:
        raise errors.Forbidden(_("Your account may not chat."), code="account_restricted")
    if getattr(author, "is_limited", False):
        raise errors.Forbidden(
            _("Your account is limited and may not chat in live streams."),
            code="account_restricted",
        )


def _check_text(text: Any, *, max_length: int) -> str:
    if not isinstance(text, str):
        raise errors.Invalid(_("The message's text must be a string."), code="invalid_text")
    text = text.strip()
    if not text:
        raise errors.Invalid(_("The message is empty."), code="empty")
    if len(text) > max_length:
        raise errors.Invalid(
            _("The message is longer than %(max)d characters.") % {"max": max_length},
            code="too_long",
        )
    return text


def _check_modes(*, author: Any, stream: Stream, rules, text: str) -> None:
    """The chat modes; the streamer and its moderators are exempt."""
    now = timezone.now()
    if rules.subscribers_only and not memberships.is_member(author, stream.account_id):
        raise errors.Forbidden(
            _("Only the streamer's subscribers may chat now."), code="subscribers_only"
        )
    if rules.followers_only_minutes is not None:
        since = stream.author_follows_since  # type: ignore[attr-defined]
        needed = timedelta(minutes=rules.followers_only_minutes)
        if since is None or now - since < needed:
            raise errors.Forbidden(
                _("Only accounts following the streamer for %(minutes)d minutes may chat now.")
                % {"minutes": rules.followers_only_minutes},
                code="followers_only",
            )
    if rules.min_account_age_days is not None:
        if now - author.date_joined < timedelta(days=rules.min_account_age_days):
            raise errors.Forbidden(
                _("Only accounts at least %(days)d days old may chat now.")
                % {"days": rules.min_account_age_days},
                code="account_too_new",
            )
    if rules.emoji_only and not is_emoji_only(text):
        raise errors.Forbidden(_("Only emoji may be sent now."), code="emoji_only")


def _check_pace(*, author: Any, stream: Stream, rules, is_moderator: bool) -> None:
    """The per-account rate limit and slow mode, in the shared cache (every process agrees).

    Checked last, so a message refused for another reason does not use up the account's turn.
    """
    rate_key = RATE_KEY.format(stream=stream.pk, account=author.pk)
    cache.add(rate_key, 0, timeout=rules.rate_limit_seconds)
    try:
        count = cache.incr(rate_key)
    except ValueError:  # expired between add and incr
        cache.set(rate_key, 1, timeout=rules.rate_limit_seconds)
        count = 1
    if count > rules.rate_limit_messages:
        raise RateLimited(
            _("You are sending messages too fast: at most %(n)d in %(s)d seconds.")
            % {"n": rules.rate_limit_messages, "s": rules.rate_limit_seconds},
            code="rate_limited",
        )
    if rules.slow_mode_seconds and not is_moderator:
        slow_key = SLOW_KEY.format(stream=stream.pk, account=author.pk)
        if not cache.add(slow_key, 1, timeout=rules.slow_mode_seconds):
            raise RateLimited(
                _("Slow mode is on: one message every %(s)d seconds.")
                % {"s": rules.slow_mode_seconds},
                code="slow_mode",
            )


def chat_message_post(
    *, author: Any, stream_id: int, text: Any, reply_to_id: int | None = None
) -> ChatMessage:
    """``author`` says ``text`` in stream ``stream_id``'s chat; the stored message.

    Refused, each with its own message and code, and nothing written: an anonymous,
    suspended, disabled or limited account (Forbidden); a stream the author may not see
    (NotFound); an ended stream (Conflict ``stream_ended``); a text that is not a string,
    empty or too long (Invalid); a channel ban, a block by the streamer, a timeout
    (Forbidden); the chat modes, for anybody but the streamer and its moderators
    (Forbidden); ``core.checks`` refusing the text (Unprocessable ``text_refused``); a
    reply to a message not in this chat (Invalid); the rate limit and slow mode
    (:class:`RateLimited`).
    """
    _check_account(author)
    stream = _stream_for_author(author=author, stream_id=stream_id)
    if stream.state == Stream.State.ENDED:
        raise errors.Conflict(_("The stream has ended: its chat is closed."), code="stream_ended")
    rules = chat_rules(stream)
    text = _check_text(text, max_length=rules.max_length)
    if stream.author_is_banned:  # type: ignore[attr-defined]
        raise errors.Forbidden(_("You are banned from this channel's chat."), code="banned")
    if stream.author_is_blocked:  # type: ignore[attr-defined]
        raise errors.Forbidden(_("The streamer has blocked you."), code="blocked")
    until = stream.author_timed_out_until  # type: ignore[attr-defined]
    if until is not None and until > timezone.now():
        raise errors.Forbidden(
            _("You are timed out of this chat until %(until)s.")
            % {"until": until.isoformat(timespec="seconds")},
            code="timed_out",
        )
    is_moderator = author.pk == stream.account_id or stream.author_is_moderator  # type: ignore[attr-defined]
    if not is_moderator:
        _check_modes(author=author, stream=stream, rules=rules, text=text)
    for result in checks.check_text(text):
        if result.is_blocking:
            raise errors.Unprocessable(
                result.reason or _("This message cannot be sent."), code="text_refused"
            )
    if (
        reply_to_id is not None
        and not ChatMessage.objects.filter(
            pk=reply_to_id, stream_id=stream.pk, state=ChatMessage.State.VISIBLE
        ).exists()
    ):
        raise errors.Invalid(
            _("The message replied to is not in this chat."), code="reply_to_invalid"
        )
    _check_pace(author=author, stream=stream, rules=rules, is_moderator=is_moderator)
    message = ChatMessage(stream=stream, author=author, text=text, reply_to_id=reply_to_id)
    with transaction.atomic():
        message.save(force_insert=True)
        # Broadcast first: after-commit callbacks run in order, and an event relayed in
        # process (moderation deciding at once) must not delete what nobody was sent yet.
        room_send(stream.pk, "message", chat_message_payload(message))
        events.publish(
            events.ContentPublished(
                content_type=CONTENT_TYPE, content_id=message.pk, author_id=author.pk
            )
        )
    return message


# Moderating ---------------------------------------------------------------------------


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
    *, actor: Any, stream: Stream, account_id: Any, seconds: Any, reason: str = ""
) -> ChatTimeout:
    """Keep ``account_id`` quiet in the channel for ``seconds`` (``timeout`` in the room).

    Raises Forbidden (not a moderator; the streamer, or a moderator by a moderator),
    NotFound (no such account), Invalid (a duration out of 1 s .. 7 days).
    """
    _require_moderator(actor=actor, channel_id=stream.account_id)
    seconds = _duration(seconds)
    target = _target_account(account_id=account_id, channel_id=stream.account_id, actor=actor)
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


def chat_stream_for_reader(*, viewer: Any, stream_id: int) -> Stream:
    """The stream whose chat ``viewer`` (or anonymous) may read: any it may see; staff any.
    Raises NotFound."""
    if getattr(viewer, "is_staff", False):
        stream = Stream.objects.filter(pk=stream_id).first()
        if stream is not None:
            return stream
    return stream_get_for_viewer(viewer=viewer, stream_id=stream_id)


def chat_history(*, stream: Stream) -> dict[str, Any]:
    """What a socket gets on joining ``stream``'s chat: the latest visible messages (oldest
    first) and the rules in force."""
    from django.conf import settings

    from apps.live.selectors import chat_messages_recent

    messages = chat_messages_recent(stream_id=stream.pk, limit=settings.LIVE_CHAT_HISTORY)
    return {
        "stream_id": str(stream.pk),
        "state": stream.state,
        "messages": [chat_message_payload(message) for message in messages],
        "chat_settings": chat_rules(stream).as_dict(),
    }
