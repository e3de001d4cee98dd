"""A stream's chat rules: the defaults (``LIVE_CHAT_DEFAULTS``) under the stream's own.

The rules are kept in ``Stream.chat_settings`` (JSON). :func:`chat_settings_clean` is the
one validation of a change, used by the REST API, the socket's ``mode`` command and stream
creation, so every way in refuses the same input with the same message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from core import errors

MAX_LENGTH_CEILING = 500
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class ChatRules:
    """The rules in force in one stream's chat."""

    max_length: int
    rate_limit_messages: int
    rate_limit_seconds: int
    slow_mode_seconds: int
    followers_only_minutes: int | None
    subscribers_only: bool
    min_account_age_days: int | None
    emoji_only: bool
    established_only: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# name -> (kind, minimum, maximum, nullable)
FIELDS: dict[str, tuple[type, int, int, bool]] = {
    "max_length": (int, 1, MAX_LENGTH_CEILING, False),
    "rate_limit_messages": (int, 1, 100, False),
    "rate_limit_seconds": (int, 1, 3600, False),
    "slow_mode_seconds": (int, 0, 3600, False),
    "followers_only_minutes": (int, 0, 365 * DAY_MINUTES, True),
    "subscribers_only": (bool, 0, 1, False),
    "min_account_age_days": (int, 0, 3650, True),
    "emoji_only": (bool, 0, 1, False),
    "established_only": (bool, 0, 1, False),
}


def chat_settings_clean(changes: Any) -> dict[str, Any]:
    """``changes`` checked field by field: the valid subset to store.

    Raises :class:`core.errors.Invalid` (field -> messages) for an object that is not a
    mapping, an unknown field, a wrong type or a value out of range; nothing is kept then.
    """
    if not isinstance(changes, dict):
        raise errors.Invalid({"chat_settings": [_("must be an object")]})
    problems: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in FIELDS:
            problems[str(name)] = [_("is not a chat setting")]
            continue
        kind, low, high, nullable = FIELDS[name]
        if value is None and nullable:
            clean[name] = None
        elif kind is bool:
            if not isinstance(value, bool):
                problems[name] = [_("must be true or false")]
            else:
                clean[name] = value
        elif isinstance(value, bool) or not isinstance(value, int):
            problems[name] = [
                _("must be a whole number or null") if nullable else _("must be a whole number")
            ]
        elif not low <= value <= high:
            problems[name] = [
                _("must be between %(low)d and %(high)d") % {"low": low, "high": high}
            ]
        else:
            clean[name] = value
    if problems:
        raise errors.Invalid(problems)
    return clean


def chat_rules(stream: Any) -> ChatRules:
    """The rules in force in ``stream``'s chat: the defaults under its own settings.

    Unknown or malformed stored keys (from an older version) are ignored, never fatal.
    """
    merged = dict(settings.LIVE_CHAT_DEFAULTS)
    stored = stream.chat_settings if isinstance(stream.chat_settings, dict) else {}
    for name, value in stored.items():
        if name in FIELDS:
            try:
                merged.update(chat_settings_clean({name: value}))
            except errors.Invalid:
                continue
    return ChatRules(**{name: merged.get(name) for name in FIELDS})  # type: ignore[arg-type]
