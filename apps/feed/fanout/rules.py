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
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from apps.accounts.models import BARRING_STANDINGS
from apps.feed.models import (
    Block,
    Follow,
    List,
    ListAccount,
    Mention,
    ModerationState,
    Mute,
    Poll,
    Quote,
    Status,
    TagFollow,
    Visibility,
)
from core import memberships
from core.rows import any_of


class HomeRow(NamedTuple):
    """The columns of a feed entry the home timeline's rules look at.

    The authors' standings are read from the account rows loaded with the status, through
    the accounts app's own reading of a standing in force (``User.is_able_to_act``,
    ``User.is_limited``, ``User.standing_in_force``), not written out again here.
    """

    pk: int
    account_id: int
    visibility: str
    moderation_state: str
    reblog_of_id: int | None
    account_is_able_to_act: bool
    account_is_limited: bool
    original_moderation_state: str | None = None
    original_account_id: int | None = None
    original_account_is_barred: bool = False
    original_account_is_limited: bool = False
    members_only: bool = False
    original_members_only: bool = False


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
    # Statuses carrying a hashtag the viewer follows.
    tagged: set[int] = field(default_factory=set)
    # Members of the viewer's exclusive lists: kept out of home (Mastodon 4.2).
    exclusive: set[int] = field(default_factory=set)
    # Creators the viewer is a paying member of (``core.memberships.creators_of``).
    creators: frozenset[int] = frozenset()
    # Which of the rows and the originals they reblog have a poll, and a quote: read in
    # the same query, so the rows are fetched without joining them
    # (:func:`apps.feed.fanout.reads.shown_among`).
    with_poll: set[int] = field(default_factory=set)
    with_quote: set[int] = field(default_factory=set)


def home_relations(*, viewer, rows: Sequence[HomeRow]) -> HomeRelations:
    """Follows (with show_reblogs), blocks either way, active mutes, mentions of the viewer and
    members of the viewer's exclusive lists, for the accounts and statuses of ``rows``; and
    which of those statuses carry a hashtag the viewer follows; which of them and of the
    originals they reblog have a poll or a quote; and, when a row is members-only, the
    creators the viewer is a member of (``core.memberships.creators_of``)."""
    account_ids = sorted(
        {r.account_id for r in rows}
        | {r.original_account_id for r in rows if r.original_account_id is not None}
    )
    status_ids = [r.pk for r in rows]
    carried = sorted({r.pk for r in rows} | {r.reblog_of_id for r in rows if r.reblog_of_id})
    relations = HomeRelations({}, set(), set(), set())
    if not rows:
        return relations
    accounts_in, accounts = any_of("accounts", account_ids, connection=connection)
    statuses_in, statuses = any_of("statuses", status_ids, connection=connection)
    carried_in, carried_params = any_of("carried", carried, connection=connection)
    # Only table names and the keys' conditions (named parameters) are formatted in; every
    # value is a parameter.
    sql = f"""
        SELECT 'follow', target_id, show_reblogs FROM {Follow._meta.db_table}
         WHERE account_id = %(viewer)s AND target_id {accounts_in}
        UNION ALL SELECT 'block', target_id, FALSE FROM {Block._meta.db_table}
         WHERE account_id = %(viewer)s AND target_id {accounts_in}
        UNION ALL SELECT 'block', account_id, FALSE FROM {Block._meta.db_table}
         WHERE target_id = %(viewer)s AND account_id {accounts_in}
        UNION ALL SELECT 'mute', target_id, FALSE FROM {Mute._meta.db_table}
         WHERE account_id = %(viewer)s AND target_id {accounts_in}
           AND (expires_at IS NULL OR expires_at > %(now)s)
        UNION ALL SELECT 'mention', status_id, FALSE FROM {Mention._meta.db_table}
         WHERE account_id = %(viewer)s AND status_id {statuses_in}
        UNION ALL SELECT 'tag', status_id, FALSE FROM {Status.tags.through._meta.db_table}
         WHERE status_id {statuses_in} AND tag_id IN (
           SELECT tag_id FROM {TagFollow._meta.db_table} WHERE account_id = %(viewer)s)
        UNION ALL SELECT 'exclusive', m.account_id, FALSE FROM {ListAccount._meta.db_table} m
         JOIN {List._meta.db_table} l ON l.id = m.list_id
         WHERE l.account_id = %(viewer)s AND l.exclusive AND m.account_id {accounts_in}
        UNION ALL SELECT 'poll', status_id, FALSE FROM {Poll._meta.db_table}
         WHERE status_id {carried_in}
        UNION ALL SELECT 'quote', status_id, FALSE FROM {Quote._meta.db_table}
         WHERE status_id {carried_in}
    """  # noqa: S608
    params = {"viewer": viewer.pk, "now": timezone.now(), **accounts, **statuses, **carried_params}
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
            elif kind == "tag":
                relations.tagged.add(target)
            elif kind == "exclusive":
                relations.exclusive.add(target)
            elif kind == "poll":
                relations.with_poll.add(target)
            elif kind == "quote":
                relations.with_quote.add(target)
    if any(r.members_only or r.original_members_only for r in rows):
        relations.creators = memberships.creators_of(viewer)
    return relations


def shown_on_home(*, viewer, status: HomeRow, relations: HomeRelations) -> bool:
    """Whether the home timeline shows the status of ``status``.

    The same rules as ``Status.objects.visible_to`` with :func:`selectors.home_queryset`
    (followed, own or a public original with a followed hashtag, no direct from others,
    reblogs as the follow allows, no mutes, members-only for the author and members),
    applied to one row: the store's page is checked this way instead of re-running
    the home query for a handful of ids.
    """
    me = viewer.pk
    author = status.account_id
    own = author == me
    follows = relations.follows
    if status.moderation_state == ModerationState.REMOVED or not status.account_is_able_to_act:
        return False
    if author in relations.blocked or author in relations.muted:
        return False
    via_tag = (
        status.pk in relations.tagged
        and status.visibility == Visibility.PUBLIC
        and status.reblog_of_id is None
    )
    if (
        not own
        and not via_tag
        and (author not in follows or status.visibility == Visibility.DIRECT)
    ):
        return False
    if not own and author in relations.exclusive:
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
    if status.account_is_limited and not (own or author in follows):
        return False
    if status.members_only and not (own or author in relations.creators):
        return False
    if status.reblog_of_id is None:
        return True
    origin = status.original_account_id
    if origin is None or follows.get(author) is False:
        return False
    if (
        status.original_account_is_barred
        or origin in relations.blocked
        or origin in relations.muted
    ):
        return False
    if not (
        status.original_moderation_state == ModerationState.VISIBLE
        or (origin == me and status.original_moderation_state == ModerationState.HIDDEN)
    ):
        return False
    if status.original_members_only and not (origin == me or origin in relations.creators):
        return False
    return not status.original_account_is_limited or origin == me or origin in follows


def home_row(status: Status) -> HomeRow:
    """The row the rules read of ``status``, loaded with its account (and for a reblog, the
    original with its account: ``select_related("account", "reblog_of__account")``).

    A reblog's original counts only the author's standing, not ``is_active``, as
    ``visible_to`` does.
    """
    row = HomeRow(
        pk=status.pk,
        account_id=status.account_id,
        visibility=status.visibility,
        moderation_state=status.moderation_state,
        reblog_of_id=status.reblog_of_id,
        account_is_able_to_act=status.account.is_able_to_act,
        account_is_limited=status.account.is_limited,
        members_only=status.members_only,
    )
    original = status.reblog_of  # no query when it is not a reblog
    if original is None:
        return row
    return row._replace(
        original_moderation_state=original.moderation_state,
        original_account_id=original.account_id,
        original_account_is_barred=original.account.standing_in_force in BARRING_STANDINGS,
        original_account_is_limited=original.account.is_limited,
        original_members_only=original.members_only,
    )
