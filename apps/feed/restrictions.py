"""Account restrictions as the feed applies them (moderation's ``AccountRestricted`` event).

The feed keeps one :class:`~apps.feed.models.AccountLimit` row per restricted
account; ``Status.objects.visible_to`` and the public and tag timelines read it, so
every endpoint, count, notification and search applies the restriction at once:

- ``limit``: the account's statuses reach only its followers (and itself), never
  the public or tag timelines, and no one else by any endpoint;
- ``suspend`` and ``disable``: its statuses are visible to no one;
- ``none``: the restriction is lifted (the row goes).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.feed.models import AccountLimit

logger = logging.getLogger(__name__)
User = get_user_model()
LIFTED = "none"


class UnknownRestriction(ValueError):
    """The restriction is not one of none, limit, suspend or disable."""


def _parse_until(until: str | dt.datetime | None) -> dt.datetime | None:
    """An aware datetime from the event's ``until`` (ISO 8601; naive means UTC)."""
    if until in (None, ""):
        return None
    moment = until if isinstance(until, dt.datetime) else parse_datetime(str(until))
    if moment is None:
        raise ValueError(f"until is not an ISO 8601 date and time: {until!r}")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def account_restriction_apply(
    *,
    account_id: int,
    restriction: str,
    reason: str = "",
    until: str | dt.datetime | None = None,
) -> AccountLimit | None:
    """Record (or, for ``none``, lift) the feed's restriction of an account.

    Returns the AccountLimit in force, or None when lifted or when the account no
    longer exists. Raises :class:`UnknownRestriction` for an unknown restriction and
    ValueError for an ``until`` that is not a date and time.
    """
    if restriction == LIFTED:
        AccountLimit.objects.filter(account_id=account_id).delete()
        return None
    if restriction not in AccountLimit.Restriction.values:
        raise UnknownRestriction(f"unknown restriction {restriction!r}")
    moment = _parse_until(until)
    with transaction.atomic():
        if not User.objects.filter(pk=account_id).exists():
            logger.warning("restriction of an unknown account ignored", extra={"id": account_id})
            return None
        limit, _created = AccountLimit.objects.update_or_create(
            account_id=account_id,
            defaults={"restriction": restriction, "reason": reason[:500], "until": moment},
        )
    return limit
