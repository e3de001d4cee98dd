"""The home timeline's rules applied to a few rows in Python: the store's read filter.

A page read from the store is a list of ids that were pushed when their statuses were
published; since then a block, a mute, a moderation decision or a standing may have
changed what the viewer should see. :func:`shown_on_home` applies the same rules as
``Status.objects.visible_to`` with the home query (:func:`apps.feed.selectors.home_queryset`,
the source of truth) to each row, with the viewer's relations to those rows loaded in
one query (:func:`home_relations`), instead of re-running the home query for a handful
of ids. ``tests/feed/test_visibility_equivalence.py`` checks the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from apps.accounts.models import BARRING_STANDINGS, Standing, User
from apps.feed.models import Block, Follow, Mention, ModerationState, Mute, Status, Visibility


class HomeRow(NamedTuple):
    """The columns of a feed entry the home timeline's rules look at."""

    pk: int
    account_id: int
    visibility: str
    moderation_state: str
    reblog_of_id: int | None
    account_is_active: bool
    original_moderation_state: str | None
    original_account_id: int | None


@dataclass
class HomeRelations:
    """What the viewer has with the accounts and statuses of a few feed entries.

    Loaded in one query (:func:`home_relations`) so that :func:`shown_on_home` can
    apply the home timeline's rules to those rows without re-running the database's
    home query for them.
    """

    follows: dict[int, bool]
    blocked: set[int]
    muted: set[int]
    mentioned: set[int]
    limited: set[int]
    hidden: set[int]


def home_relations(*, viewer, rows: Sequence[HomeRow]) -> HomeRelations:
    """Follows (with show_reblogs), blocks either way, active mutes, mentions of the
    viewer and restrictions in force, for the accounts and statuses of ``rows``."""
    account_ids = sorted(
        {r.account_id for r in rows}
        | {r.original_account_id for r in rows if r.original_account_id is not None}
    )
    status_ids = [r.pk for r in rows]
    relations = HomeRelations({}, set(), set(), set(), set(), set())
    if not rows:
        return relations
    accounts_in = ", ".join(["%s"] * len(account_ids))
    statuses_in = ", ".join(["%s"] * len(status_ids))
    now = timezone.now()
    # Only table names and placeholders are formatted in; every value is a parameter.
    sql = f"""
        SELECT 'follow', target_id, show_reblogs FROM {Follow._meta.db_table}
         WHERE account_id = %s AND target_id IN ({accounts_in})
        UNION ALL SELECT 'block', target_id, FALSE FROM {Block._meta.db_table}
         WHERE account_id = %s AND target_id IN ({accounts_in})
        UNION ALL SELECT 'block', account_id, FALSE FROM {Block._meta.db_table}
         WHERE target_id = %s AND account_id IN ({accounts_in})
        UNION ALL SELECT 'mute', target_id, FALSE FROM {Mute._meta.db_table}
         WHERE account_id = %s AND target_id IN ({accounts_in})
           AND (expires_at IS NULL OR expires_at > %s)
        UNION ALL SELECT 'mention', status_id, FALSE FROM {Mention._meta.db_table}
         WHERE account_id = %s AND status_id IN ({statuses_in})
        UNION ALL SELECT standing, id, FALSE FROM {User._meta.db_table}
         WHERE id IN ({accounts_in}) AND standing <> %s
           AND (standing_until IS NULL OR standing_until > %s)
    """  # noqa: S608
    params = [
        viewer.pk, *account_ids,
        viewer.pk, *account_ids,
        viewer.pk, *account_ids,
        viewer.pk, *account_ids, now,
        viewer.pk, *status_ids,
        *account_ids, Standing.NONE.value, now,
    ]  # fmt: skip
    hiding = {str(standing) for standing in BARRING_STANDINGS}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, target, flag in cursor.fetchall():
            if kind == "follow":
                relations.follows[target] = bool(flag)
            elif kind == "block":
                relations.blocked.add(target)
            elif kind == "mute":
                relations.muted.add(target)
            elif kind == "mention":
                relations.mentioned.add(target)
            elif kind == Standing.LIMITED:
                relations.limited.add(target)
            elif kind in hiding:
                relations.hidden.add(target)
    return relations


def shown_on_home(*, viewer, status: HomeRow, relations: HomeRelations) -> bool:
    """Whether the home timeline shows the status of ``status``.

    The same rules as ``Status.objects.visible_to`` with :func:`selectors.home_queryset`
    (followed or own, no direct from others, reblogs as the follow allows, no mutes),
    applied to one row: the store's page is checked this way instead of re-running
    the home query for a handful of ids.
    """
    me = viewer.pk
    author = status.account_id
    own = author == me
    follows = relations.follows
    if status.moderation_state == ModerationState.REMOVED or not status.account_is_active:
        return False
    if author in relations.hidden or author in relations.blocked or author in relations.muted:
        return False
    if not own and (author not in follows or status.visibility == Visibility.DIRECT):
        return False
    if not own:
        if status.moderation_state != ModerationState.VISIBLE:
            return False
        if status.visibility == Visibility.PRIVATE and not (
            author in follows or status.pk in relations.mentioned
        ):
            return False
        if status.visibility == Visibility.DIRECT and status.pk not in relations.mentioned:
            return False
    if author in relations.limited and not (own or author in follows):
        return False
    if status.reblog_of_id is None:
        return True
    origin = status.original_account_id
    if origin is None or follows.get(author) is False:
        return False
    if origin in relations.hidden or origin in relations.blocked or origin in relations.muted:
        return False
    if not (
        status.original_moderation_state == ModerationState.VISIBLE
        or (origin == me and status.original_moderation_state == ModerationState.HIDDEN)
    ):
        return False
    return origin not in relations.limited or origin == me or origin in follows


def home_row(status: Status) -> HomeRow:
    """The row of ``status`` (loaded with its account, and a reblog's original) the rules read."""
    original = status.reblog_of if status.reblog_of_id is not None else None
    return HomeRow(
        pk=status.pk,
        account_id=status.account_id,
        visibility=status.visibility,
        moderation_state=status.moderation_state,
        reblog_of_id=status.reblog_of_id,
        account_is_active=status.account.is_active,
        original_moderation_state=original.moderation_state if original else None,
        original_account_id=original.account_id if original else None,
    )
