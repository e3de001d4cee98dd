"""Reads of the social core: querysets tuned for the API, applying visibility everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import able_to_act_q
from apps.feed.models import (
    Block,
    Bookmark,
    Favourite,
    Follow,
    FollowRequest,
    Marker,
    Mention,
    Mute,
    Notification,
    Status,
    Tag,
    Visibility,
)
from apps.media.selectors import media_for_statuses, statuses_with_media
from core import errors
from core.pagination import PageParams, paginate_queryset

User = get_user_model()
MAX_CONTEXT = 4096


def with_relations(queryset: QuerySet) -> QuerySet:
    """Everything a Status entity shows, in a fixed number of queries.

    Whether a status (and a reblog's original) has media comes along as a column,
    so pages without media never query for it (:func:`prefetch_media`).
    """
    mentions = Prefetch("mentions", queryset=Mention.objects.select_related("account"))
    media = statuses_with_media()
    return (
        queryset.select_related("account", "reblog_of", "reblog_of__account")
        .annotate(
            media_present=Exists(media.filter(status_id=OuterRef("pk"))),
            original_media_present=Exists(media.filter(status_id=OuterRef("reblog_of_id"))),
        )
        .prefetch_related(
            mentions,
            "tags",
            Prefetch("reblog_of__mentions", queryset=Mention.objects.select_related("account")),
            "reblog_of__tags",
        )
    )


MEDIA_ATTRIBUTE = "_media_attachments"


def prefetch_media(statuses: Iterable[Status]) -> None:
    """Load the media attachments of ``statuses`` and their originals in one query.

    Each status gets them as ``status._media_attachments`` (read by
    :func:`status_media`); statuses that already have them are skipped.
    """
    pending = []
    for status in statuses:
        pending.append((status, getattr(status, "media_present", None)))
        if status.reblog_of_id is not None and status.reblog_of is not None:
            pending.append((status.reblog_of, getattr(status, "original_media_present", None)))
    pending_statuses = []
    for status, present in pending:
        if hasattr(status, MEDIA_ATTRIBUTE):
            continue
        if present is False:  # known from with_relations: nothing to fetch
            setattr(status, MEDIA_ATTRIBUTE, [])
        else:
            pending_statuses.append(status)
    pending = pending_statuses
    if not pending:
        return
    found = media_for_statuses(status.pk for status in pending)
    for status in pending:
        setattr(status, MEDIA_ATTRIBUTE, found.get(status.pk, []))


def status_media(status: Status) -> list:
    """The media attachments of ``status`` (prefetched, or fetched now)."""
    if not hasattr(status, MEDIA_ATTRIBUTE):
        prefetch_media([status])
    return getattr(status, MEDIA_ATTRIBUTE)


def _only_media(queryset: QuerySet) -> QuerySet:
    return queryset.filter(pk__in=statuses_with_media())


def _active_mutes(viewer) -> QuerySet:
    return Mute.objects.filter(account=viewer).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


def _without_muted(queryset: QuerySet, viewer) -> QuerySet:
    if viewer is None or not viewer.is_authenticated:
        return queryset
    muted = _active_mutes(viewer).filter(target=OuterRef("account"))
    muted_original = _active_mutes(viewer).filter(target=OuterRef("reblog_of__account"))
    return queryset.exclude(Exists(muted)).exclude(Exists(muted_original))


def status_get_for_viewer(*, viewer, status_id) -> Status:
    """The status if ``viewer`` may see it; NotFound otherwise (private is not revealed)."""
    try:
        status_id = int(status_id)
    except (TypeError, ValueError):
        raise errors.NotFound(_("Record not found")) from None
    status = with_relations(Status.objects.visible_to(viewer)).filter(pk=status_id).first()
    if status is None:
        raise errors.NotFound(_("Record not found"))
    return status


def account_get_for_viewer(*, viewer, account_id) -> User:
    """An active account, unless it blocks the viewer (NotFound)."""
    try:
        account_id = int(account_id)
    except (TypeError, ValueError):
        raise errors.NotFound(_("Record not found")) from None
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


def statuses_page(queryset: QuerySet, params: PageParams) -> list[Status]:
    return paginate_queryset(with_relations(queryset), params)


def home_candidates(viewer) -> QuerySet:
    """The viewer's own statuses and those of accounts they follow (mutes not applied).

    Reblogs from follows with reblogs turned off are left out. The feed store is
    rebuilt from this query; mutes apply when the timeline is read.
    """
    follows = Follow.objects.filter(account=viewer)
    followed = Q(account__in=follows.values("target"))
    no_reblogs = follows.filter(show_reblogs=False).values("target")
    return (
        Status.objects.visible_to(viewer)
        .filter(followed | Q(account=viewer))
        .exclude(Q(reblog_of__isnull=False) & Q(account__in=no_reblogs))
        .exclude(Q(visibility=Visibility.DIRECT) & ~Q(account=viewer))
    )


def home_queryset(viewer) -> QuerySet:
    """Everything the viewer's home timeline may show: :func:`home_candidates` less mutes."""
    return _without_muted(home_candidates(viewer), viewer)


def home_timeline(*, viewer, params: PageParams) -> list[Status]:
    """The viewer's home timeline, newest first: from the feed store when Redis is
    configured (see :mod:`apps.feed.fanout`), from the database otherwise or when the
    store cannot vouch for the page."""
    from apps.feed import fanout

    if fanout.store_enabled():
        page = fanout.home_timeline_page(viewer=viewer, params=params)
        if page is not None:
            return page
    return statuses_page(home_queryset(viewer), params)


def public_timeline(
    *,
    viewer,
    params: PageParams,
    local: bool = False,
    remote: bool = False,
    only_media: bool = False,
) -> list[Status]:
    """Public statuses (not unlisted, not reblogs). Agora has only local accounts."""
    if remote:
        return []
    queryset = (
        Status.objects.visible_to(viewer)
        .without_limited_accounts()
        .filter(visibility=Visibility.PUBLIC, reblog_of__isnull=True)
    )
    if only_media:
        queryset = _only_media(queryset)
    return statuses_page(_without_muted(queryset, viewer), params)


def tag_timeline(*, viewer, tag: str, params: PageParams, only_media: bool = False) -> list[Status]:
    queryset = (
        Status.objects.visible_to(viewer)
        .without_limited_accounts()
        .filter(visibility=Visibility.PUBLIC, reblog_of__isnull=True, tags__name__iexact=tag)
    )
    if only_media:
        queryset = _only_media(queryset)
    return statuses_page(_without_muted(queryset, viewer), params)


def account_statuses(
    *,
    viewer,
    account,
    params: PageParams,
    exclude_replies: bool = False,
    exclude_reblogs: bool = False,
    only_media: bool = False,
    pinned: bool = False,
    tagged: str | None = None,
) -> list[Status]:
    queryset = Status.objects.visible_to(viewer).filter(account=account)
    if exclude_replies:
        # Mastodon keeps self-replies (threads) when excluding replies.
        queryset = queryset.filter(Q(in_reply_to__isnull=True) | Q(in_reply_to_account=account))
    if exclude_reblogs:
        queryset = queryset.filter(reblog_of__isnull=True)
    if pinned:
        queryset = queryset.filter(pinned_at__isnull=False)
    if tagged:
        queryset = queryset.filter(tags__name__iexact=tagged)
    if only_media:
        queryset = _only_media(queryset)
    return statuses_page(queryset, params)


def _thread_ancestor_ids(status: Status) -> list[int]:
    """Ids of the statuses ``status`` replies to, its parent first, at most ``MAX_CONTEXT``.

    One recursive query up the ``in_reply_to`` chain, whatever its length (Mastodon
    walks its threads the same way); visibility is applied by the caller.
    """
    if status.in_reply_to_id is None:
        return []
    table = Status._meta.db_table
    # Only the table name is formatted in; the values are parameters.
    sql = f"""
        WITH RECURSIVE ancestors(id, in_reply_to_id, depth) AS (
            SELECT id, in_reply_to_id, 1 FROM {table} WHERE id = %s
            UNION ALL
            SELECT parent.id, parent.in_reply_to_id, ancestors.depth + 1
              FROM {table} parent JOIN ancestors ON parent.id = ancestors.in_reply_to_id
             WHERE ancestors.depth < %s
        )
        SELECT id FROM ancestors ORDER BY depth
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [status.in_reply_to_id, MAX_CONTEXT])
        return [row[0] for row in cursor.fetchall()]


def _thread_descendant_rows(status: Status) -> list[tuple[int, int]]:
    """``(id, in_reply_to_id)`` of the replies below ``status``, level by level, at most
    ``MAX_CONTEXT`` levels and ``MAX_CONTEXT`` rows: one recursive query however deep."""
    table = Status._meta.db_table
    # Only the table name is formatted in; the values are parameters.
    sql = f"""
        WITH RECURSIVE descendants(id, in_reply_to_id, depth) AS (
            SELECT id, in_reply_to_id, 1 FROM {table} WHERE in_reply_to_id = %s
            UNION ALL
            SELECT reply.id, reply.in_reply_to_id, descendants.depth + 1
              FROM {table} reply JOIN descendants ON reply.in_reply_to_id = descendants.id
             WHERE descendants.depth < %s
        )
        SELECT id, in_reply_to_id FROM descendants ORDER BY depth, id LIMIT %s
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [status.pk, MAX_CONTEXT, MAX_CONTEXT])
        return [(row[0], row[1]) for row in cursor.fetchall()]


def status_context(*, viewer, status: Status) -> tuple[list[Status], list[Status]]:
    """Ancestors (oldest first) and descendants (depth first, by time) that ``viewer`` may see.

    Ancestors end at the first one the viewer may not see (or whose author they
    mute); a descendant the viewer may not see is left out with the replies below
    it. Each side holds at most ``MAX_CONTEXT`` statuses. A fixed number of queries
    however long or deep the thread: one recursive query each way for the ids, one
    (with its prefetches) for the statuses the viewer may see among them.
    """
    ancestor_ids = _thread_ancestor_ids(status)
    descendant_rows = _thread_descendant_rows(status)
    wanted = ancestor_ids + [row_id for row_id, _parent_id in descendant_rows]
    if not wanted:
        return [], []
    visible = _without_muted(Status.objects.visible_to(viewer), viewer)
    by_id = {found.pk: found for found in with_relations(visible).filter(pk__in=wanted)}

    ancestors: list[Status] = []
    for ancestor_id in ancestor_ids:
        if ancestor_id not in by_id:
            break
        ancestors.append(by_id[ancestor_id])
    ancestors.reverse()

    children_of: dict[int, list[Status]] = {}
    for row_id, parent_id in descendant_rows:  # ordered by id within each parent
        if row_id in by_id:
            children_of.setdefault(parent_id, []).append(by_id[row_id])
    ordered: list[Status] = []
    pending = list(reversed(children_of.get(status.pk, [])))
    while pending:  # depth first without recursion: threads may be thousands deep
        node = pending.pop()
        ordered.append(node)
        pending.extend(reversed(children_of.get(node.pk, [])))
    return ancestors, ordered


def favourites_page(*, viewer, params: PageParams) -> tuple[list[Favourite], list[Status]]:
    """The viewer's favourites, paged by favourite id (Mastodon's cursor)."""
    visible = Status.objects.visible_to(viewer)
    rows = paginate_queryset(Favourite.objects.filter(account=viewer, status__in=visible), params)
    return rows, statuses_in_order([row.status_id for row in rows])


def bookmarks_page(*, viewer, params: PageParams) -> tuple[list[Bookmark], list[Status]]:
    visible = Status.objects.visible_to(viewer)
    rows = paginate_queryset(Bookmark.objects.filter(account=viewer, status__in=visible), params)
    return rows, statuses_in_order([row.status_id for row in rows])


def statuses_in_order(ids: list[int]) -> list[Status]:
    """The statuses with ``ids``, relations loaded, in the order of ``ids`` (missing ones skipped)."""
    by_id = {s.pk: s for s in with_relations(Status.objects.filter(pk__in=ids))}
    return [by_id[i] for i in ids if i in by_id]


def status_favourited_by(*, viewer, status: Status, params: PageParams) -> tuple[list, list]:
    rows = paginate_queryset(
        Favourite.objects.filter(status=status)
        .filter(able_to_act_q("account__"))
        .select_related("account"),
        params,
    )
    return rows, [row.account for row in rows]


def status_reblogged_by(*, viewer, status: Status, params: PageParams) -> tuple[list, list]:
    rows = paginate_queryset(
        Status.objects.filter(reblog_of=status)
        .filter(able_to_act_q("account__"))
        .select_related("account"),
        params,
    )
    return rows, [row.account for row in rows]


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
    return _relation_page(_active_mutes(viewer), params, "target")


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
    result.muting = {m.target_id: m for m in _active_mutes(viewer).filter(target_id__in=ids)}
    return result


@dataclass
class ViewerState:
    """Per-viewer flags of a page of statuses, one query whatever the page size."""

    favourited: set[int] = field(default_factory=set)
    reblogged: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)


def viewer_state(*, viewer, statuses: Iterable[Status]) -> ViewerState:
    """The viewer's favourites, reblogs and bookmarks among ``statuses`` (and the
    originals they reblog), in one query whatever the page size."""
    state = ViewerState()
    if viewer is None or not viewer.is_authenticated:
        return state
    ids: set[int] = set()
    for status in statuses:
        ids.add(status.pk)
        if status.reblog_of_id:
            ids.add(status.reblog_of_id)
    if not ids:
        return state
    placeholders = ", ".join(["%s"] * len(ids))
    # One round trip, written out: the ORM's three-way union costs more to compile
    # than the database takes to answer it. Only table names and placeholders are
    # formatted in; every value is a parameter.
    sql = f"""
        SELECT 'f', status_id FROM {Favourite._meta.db_table}
         WHERE account_id = %s AND status_id IN ({placeholders})
        UNION ALL SELECT 'r', reblog_of_id FROM {Status._meta.db_table}
         WHERE account_id = %s AND reblog_of_id IN ({placeholders})
        UNION ALL SELECT 'b', status_id FROM {Bookmark._meta.db_table}
         WHERE account_id = %s AND status_id IN ({placeholders})
    """  # noqa: S608
    ordered = sorted(ids)
    by_kind = {"f": state.favourited, "r": state.reblogged, "b": state.bookmarked}
    with connection.cursor() as cursor:
        cursor.execute(sql, [viewer.pk, *ordered] * 3)
        for kind, status_id in cursor.fetchall():
            by_kind[kind].add(status_id)
    return state


def notifications_page(
    *,
    viewer,
    params: PageParams,
    types: list[str] | None = None,
    exclude_types: list[str] | None = None,
    account_id: int | None = None,
) -> list[Notification]:
    queryset = Notification.objects.filter(account=viewer).filter(able_to_act_q("from_account__"))
    queryset = queryset.filter(
        Q(status__isnull=True) | Q(status__in=Status.objects.visible_to(viewer))
    )
    blocked = Block.objects.filter(account=viewer, target=OuterRef("from_account"))
    queryset = queryset.exclude(Exists(blocked))
    if types:
        queryset = queryset.filter(type__in=types)
    if exclude_types:
        queryset = queryset.exclude(type__in=exclude_types)
    if account_id is not None:
        queryset = queryset.filter(from_account_id=account_id)
    queryset = queryset.select_related(
        "from_account",
        "status",
        "status__account",
        "status__reblog_of",
        "status__reblog_of__account",
    ).prefetch_related(
        Prefetch("status__mentions", queryset=Mention.objects.select_related("account")),
        "status__tags",
    )
    return paginate_queryset(queryset, params)


def notification_get(*, viewer, notification_id) -> Notification:
    try:
        notification_id = int(notification_id)
    except (TypeError, ValueError):
        raise errors.NotFound(_("Record not found")) from None
    notification = (
        Notification.objects.filter(account=viewer, pk=notification_id)
        .select_related("from_account", "status")
        .first()
    )
    if notification is None:
        raise errors.NotFound(_("Record not found"))
    return notification


def tag_get(*, name: str) -> Tag | None:
    return Tag.objects.filter(name__iexact=name).first()


def markers_for(*, viewer, timelines: Iterable[str]) -> QuerySet:
    """The viewer's markers of ``timelines`` (names that are not timelines are ignored)."""
    return Marker.objects.filter(account=viewer, timeline__in=list(timelines))
