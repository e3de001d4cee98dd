"""Reads of accounts as the feed relates them: lookups, follows, requests, blocks, mutes.

(Named for accounts rather than relationships: :func:`relationships` is a selector
of its own, which the package re-exports under that name.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User, able_to_act_q
from apps.feed.models import AccountNote, AccountPin, Block, Follow, FollowRequest, Mute
from apps.feed.models.compiled import CompiledCondition, Holds
from core import errors
from core.ids import parse_id
from core.pagination import PageParams, paginate_queryset
from core.rows import any_of


def active_mutes(viewer) -> QuerySet:
    """The viewer's mutes in force now (a mute whose time ran out no longer counts)."""
    return _mutes_in_force(viewer.pk, (), timezone.now())


def _mutes_in_force(viewer_id: int | None, _creators, now) -> QuerySet:
    """The mutes of ``viewer_id`` in force at ``now``: what :func:`active_mutes` reads and
    :data:`MUTING` compiles (a CompiledCondition's builder; mutes have no creators)."""
    return Mute.objects.filter(account_id=viewer_id).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


# "The viewer mutes the account whose id is the key", compiled once (as the visibility
# rules are: apps.feed.models.compiled). Built with the ORM on every read, the two
# conditions of without_muted cost the public timeline 4.5 ms of CPU a page.
MUTING = CompiledCondition(_mutes_in_force, path=f"{__name__}.MUTING", key="target_id")


def without_muted(queryset: QuerySet, viewer) -> QuerySet:
    """Statuses of ``queryset`` less those by, or reblogging, accounts the viewer mutes."""
    if viewer is None or not viewer.is_authenticated:
        return queryset
    now = timezone.now()
    return queryset.exclude(
        Holds(MUTING, F("account_id"), viewer_id=viewer.pk, creators=(), now=now)
    ).exclude(Holds(MUTING, F("reblog_of__account_id"), viewer_id=viewer.pk, creators=(), now=now))


def account_get_for_viewer(*, viewer, account_id) -> User:
    """An active account, unless it blocks the viewer (NotFound)."""
    account_id = parse_id(account_id)  # ids from a path are ints already; a body's may be text
    if account_id is None:
        raise errors.NotFound(_("Record not found"))
    account = User.objects.filter(pk=account_id, is_active=True).first()
    if account is None:
        raise errors.NotFound(_("Record not found"))
    if (
        viewer is not None
        and viewer.is_authenticated
        and Block.objects.filter(account=account, target=viewer).exists()
    ):
        raise errors.NotFound(_("Record not found"))
    return account


def _relation_page(queryset: QuerySet, params: PageParams, attribute: str) -> tuple[list, list]:
    rows = paginate_queryset(queryset.select_related(attribute), params)
    return rows, [getattr(row, attribute) for row in rows]


def _shows_collections(*, account, viewer) -> bool:
    """Whether ``viewer`` may list whom ``account`` follows and who follows it.

    Never for a suspended or disabled account; to others not when the account hides
    its network (``hide_collections``), as Mastodon's lists answer then.
    """
    if not account.is_able_to_act:
        return False
    return not account.hide_collections or getattr(viewer, "pk", None) == account.pk


def followers_page(*, account, viewer, params: PageParams):
    """Who follows ``account``, as ``viewer`` may see it (:func:`_shows_collections`)."""
    follows = Follow.objects.filter(target=account).filter(able_to_act_q("account__"))
    if not _shows_collections(account=account, viewer=viewer):
        follows = follows.none()
    return _relation_page(follows, params, "account")


def following_page(*, account, viewer, params: PageParams):
    """Whom ``account`` follows, as ``viewer`` may see it (:func:`_shows_collections`)."""
    follows = Follow.objects.filter(account=account).filter(able_to_act_q("target__"))
    if not _shows_collections(account=account, viewer=viewer):
        follows = follows.none()
    return _relation_page(follows, params, "target")


def blocks_page(*, viewer, params: PageParams):
    return _relation_page(Block.objects.filter(account=viewer), params, "target")


def mutes_page(*, viewer, params: PageParams):
    return _relation_page(active_mutes(viewer), params, "target")


def _pending_follow_requests(account) -> QuerySet:
    """Requests waiting for ``account``, from accounts able to act (as the list shows them)."""
    return FollowRequest.objects.filter(target=account).filter(able_to_act_q("account__"))


def follow_requests_page(*, viewer, params: PageParams):
    return _relation_page(_pending_follow_requests(viewer), params, "account")


def follow_requests_count(*, account) -> int:
    """How many requests :func:`follow_requests_page` lists for ``account``, in one query."""
    return _pending_follow_requests(account).count()


@dataclass
class RelationshipSets:
    """What the viewer has with each of a set of accounts, looked up in one query per relation."""

    following: dict[int, Follow] = field(default_factory=dict)
    followed_by: set[int] = field(default_factory=set)
    requested: set[int] = field(default_factory=set)
    requested_by: set[int] = field(default_factory=set)
    blocking: set[int] = field(default_factory=set)
    blocked_by: set[int] = field(default_factory=set)
    muting: dict[int, Mute] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    endorsed: set[int] = field(default_factory=set)


def relationships(*, viewer, account_ids: Iterable[int]) -> RelationshipSets:
    ids = list(account_ids)
    result = RelationshipSets()
    if not ids:
        return result
    result.following = {
        f.target_id: f for f in Follow.objects.filter(account=viewer, target_id__in=ids)
    }
    result.followed_by = set(
        Follow.objects.filter(target=viewer, account_id__in=ids).values_list(
            "account_id", flat=True
        )
    )
    result.requested = set(
        FollowRequest.objects.filter(account=viewer, target_id__in=ids).values_list(
            "target_id", flat=True
        )
    )
    result.requested_by = set(
        FollowRequest.objects.filter(target=viewer, account_id__in=ids).values_list(
            "account_id", flat=True
        )
    )
    result.blocking = set(
        Block.objects.filter(account=viewer, target_id__in=ids).values_list("target_id", flat=True)
    )
    result.blocked_by = set(
        Block.objects.filter(target=viewer, account_id__in=ids).values_list("account_id", flat=True)
    )
    result.muting = {m.target_id: m for m in active_mutes(viewer).filter(target_id__in=ids)}
    _notes_and_endorsements(viewer=viewer, ids=ids, into=result)
    return result


def _notes_and_endorsements(*, viewer, ids: list[int], into: RelationshipSets) -> None:
    """The viewer's notes on and endorsements of ``ids``, in one round trip."""
    among, targets = any_of("targets", ids, connection=connection)
    # Only table names and the targets' condition (named parameters) are formatted in;
    # every value is a parameter.
    sql = f"""
        SELECT 'n', target_id, comment FROM {AccountNote._meta.db_table}
         WHERE account_id = %(viewer)s AND target_id {among}
        UNION ALL SELECT 'p', target_id, '' FROM {AccountPin._meta.db_table}
         WHERE account_id = %(viewer)s AND target_id {among}
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, {"viewer": viewer.pk, **targets})
        for kind, target_id, comment in cursor.fetchall():
            if kind == "n":
                into.notes[target_id] = comment
            else:
                into.endorsed.add(target_id)
