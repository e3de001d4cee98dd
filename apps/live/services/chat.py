"""A stream's chat: saying something, joining, and (re-exported) the channel's moderation.

Every message is checked against the chat's rules (:mod:`apps.live.services.chat_settings`)
in a fixed order, each refusal with its own message and ``code``; then by the synchronous
``core.checks``; then it is stored, published as content of type ``chat_message`` (so
moderation assesses it) and, once committed, broadcast to the stream's room
(:mod:`apps.live.services.rooms`). Moderation's hide or remove decision comes back as
``ContentActioned`` (:mod:`apps.live.handlers`) and deletes it for everyone at once.

Who may moderate a channel and how: :mod:`apps.live.services.chat_moderation`.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed.models import Block, Follow
from apps.live.models import ChannelBan, ChannelModerator, ChatMessage, ChatTimeout, Stream
from apps.live.selectors import stream_get_for_viewer, streams_visible_to
from apps.live.services.chat_settings import chat_rules
from apps.live.services.rooms import room_send
from core import checks, errors, events, memberships, reputation

logger = logging.getLogger(__name__)

CONTENT_TYPE = "chat_message"
RATE_KEY = "live:chat:rate:{stream}:{account}"
SLOW_KEY = "live:chat:slow:{stream}:{account}"


class RateLimited(errors.PlatformError):
    """Too many messages too fast (429): the per-account rate limit or slow mode."""

    status = 429
    default_message = "Too many messages"
    default_code = "rate_limited"


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
    if rules.established_only and not reputation.trust_of(author.pk).is_established:
        raise errors.Forbidden(
            _("Only established accounts may chat now."), code="established_only"
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


# The channel's moderation, re-exported: the socket and the API reach the chat through here.
from apps.live.services.chat_moderation import (  # noqa: E402
    TIMEOUT_MAX_SECONDS,
    channel_moderator_add,
    channel_moderator_remove,
    chat_ban,
    chat_message_delete,
    chat_message_moderate,
    chat_message_staff_set,
    chat_mode,
    chat_timeout,
    chat_timeout_lift,
    chat_unban,
)

__all__ = [
    "CONTENT_TYPE",
    "TIMEOUT_MAX_SECONDS",
    "RateLimited",
    "channel_moderator_add",
    "channel_moderator_remove",
    "chat_ban",
    "chat_history",
    "chat_message_delete",
    "chat_message_moderate",
    "chat_message_payload",
    "chat_message_post",
    "chat_message_staff_set",
    "chat_mode",
    "chat_rules",
    "chat_stream_for_reader",
    "chat_timeout",
    "chat_timeout_lift",
    "chat_unban",
    "is_emoji_only",
]
