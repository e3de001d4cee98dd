"""The platform's feature flags (django-waffle): names apps refer to, and their defaults.

Apps check a flag by its constant, never a string literal::

    from waffle import flag_is_active
    from core import flags

    if flag_is_active(request, flags.APPEALS): ...

The migration ``core.0003_default_flags`` creates each flag with the rollout in
:data:`DEFAULT_FLAGS` (once: later changes by operators in the admin are kept).
A rollout of 100 is stored as waffle's ``everyone=True``, because ``Flag.percent``
holds at most 99.9; any other rollout is ``Flag.percent``, for which waffle puts
each visitor in or out by a cookie. :func:`rollout_percent` reads either back.
Operators change flags in the admin (the ``operator`` role, :mod:`core.roles`).

Outside a request (a task, a handler, the moderation pipeline) there is no cookie to
put a visitor in or out of a percentage: :func:`flag_is_on_for` decides for a user
by a stable hash instead, so the same author stays on the same side of a rollout::

    if flags.flag_is_on_for(flags.AI_MODERATION, user=author): ...
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

AI_MODERATION = "ai_moderation"
HUMAN_REVIEW_QUEUE = "human_review_queue"
APPEALS = "appeals"
COMMUNITY_JURY_VOTING = "community_jury_voting"
LINK_SAFETY_SCANNING = "link_safety_scanning"
SCAM_DETECTION = "scam_detection"


@dataclass(frozen=True)
class FlagDefault:
    name: str
    percent: int
    note: str


DEFAULT_FLAGS: tuple[FlagDefault, ...] = (
    FlagDefault(AI_MODERATION, 100, "Automated classifiers score new content before it is shown."),
    FlagDefault(HUMAN_REVIEW_QUEUE, 100, "Flagged content goes to the moderators' review queue."),
    FlagDefault(APPEALS, 50, "Users may appeal a moderation decision; half of users see it."),
    FlagDefault(
        COMMUNITY_JURY_VOTING, 10, "Trusted members vote on appeals; trialled with 10% of users."
    ),
    FlagDefault(
        LINK_SAFETY_SCANNING, 100, "Links in posts and chat are checked against blocklists."
    ),
    FlagDefault(SCAM_DETECTION, 80, "Scam heuristics on messages and profiles; 80% while tuned."),
)


def rollout_percent(flag) -> Decimal:
    """The share of users (0-100) a waffle ``Flag`` is on for, by ``everyone`` and ``percent``."""
    if flag.everyone is True:
        return Decimal(100)
    if flag.everyone is False:
        return Decimal(0)
    return Decimal(flag.percent or 0)


def flag_is_on_for(name: str, *, user: AbstractBaseUser | None) -> bool:
    """Whether waffle flag ``name`` is on for ``user``, without a request.

    ``everyone`` decides when set; otherwise waffle's own rules for a user (the
    authenticated, staff and superuser switches, listed users and groups) through
    its public ``is_active_for_user``; then a percentage rollout puts the user in by
    a stable hash of (flag, user id). A flag that does not exist is off, and so is
    anything but ``everyone`` for no user.
    """
    from waffle import get_waffle_flag_model

    flag = get_waffle_flag_model().get(name)
    if not flag.pk:
        return False
    if flag.everyone is not None:
        return bool(flag.everyone)
    if user is None:
        return False
    if flag.is_active_for_user(user):
        return True
    if flag.percent and user.pk is not None:
        bucket = zlib.crc32(f"{name}:{user.pk}".encode()) % 1000
        return bucket < float(flag.percent) * 10
    return False
