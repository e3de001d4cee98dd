"""Reads of statuses: one status for a viewer, threads, pages, and what a page needs.

Visibility (``Status.objects.visible_to``) applies everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import able_to_act_q
from apps.feed.models import Bookmark, ConversationMute, Favourite, Mention, Status, Tag
from apps.feed.selectors.accounts import without_muted
from apps.feed.selectors.polls import poll_of, polls_voted, prefetch_polls
from apps.media.selectors import media_for_statuses, statuses_with_media
from core import errors
from core.ids import parse_id
from core.pagination import (
    PageParams,
    only_row,
    paginate_in_two,
    paginate_queryset,
    rows_in_order,
)
from core.rows import RowShape, any_of, rows_by_keys

# A queryset of statuses, kept as its own class (StatusQuerySet) by a filter.
_Statuses = TypeVar("_Statuses", bound=QuerySet)

MAX_CONTEXT = 4096


def with_key_relations(queryset: QuerySet) -> QuerySet:
    """What a Status entity's cache key digests, in the query's own rows.

    The status with its account, poll and quote, and the same of a reblog's original:
    what :func:`apps.feed.entities.entity_key` reads. Whether a status (and a reblog's
    original) has media comes along as a column, so pages without media never query for
    it (:func:`prefetch_media`). For statuses rendered as a list (``many=True``): the
    rendering fetches mentions and tags (:func:`apps.feed.entities.prefetch_relations`)
    only for the statuses whose entity is not cached.
    """
    media = statuses_with_media()
    return queryset.select_related(
        "account",
        "reblog_of",
        "reblog_of__account",
        "poll",
        "reblog_of__poll",
        "quote",
        "reblog_of__quote",
    ).annotate(
        media_present=Exists(media.filter(status_id=OuterRef("pk"))),
        original_media_present=Exists(media.filter(status_id=OuterRef("reblog_of_id"))),
    )


# A page's statuses by id with what their entities' keys read (compiled once: core.rows).
PAGE_ROWS = RowShape("feed.page_statuses", lambda: with_key_relations(Status.objects.all()))
# The same of one status an action took, unless moderation removed it.
ACTED_ROWS = RowShape("feed.acted_status", lambda: with_key_relations(Status.objects.live()))
# One's own status (never a reblog) with what its entity's key reads, unless removed.
OWN_ROWS = RowShape(
    "feed.own_status",
    lambda: (
        Status.objects.live()
        .filter(reblog_of__isnull=True)
        .select_related("account", "poll", "quote")
        .annotate(media_present=Exists(statuses_with_media().filter(status_id=OuterRef("pk"))))
    ),
)


def with_relations(queryset: QuerySet) -> QuerySet:
    """Everything a Status entity shows, in a fixed number of queries: :func:`with_key_relations`
    and the mentions and tags, for statuses rendered one by one."""
    mentions = Prefetch("mentions", queryset=Mention.objects.select_related("account"))
    return with_key_relations(queryset).prefetch_related(
        mentions,
        "tags",
        Prefetch("reblog_of__mentions", queryset=Mention.objects.select_related("account")),
        "reblog_of__tags",
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
    if not pending_statuses:
        return
    found = media_for_statuses(status.pk for status in pending_statuses)
    for status in pending_statuses:
        setattr(status, MEDIA_ATTRIBUTE, found.get(status.pk, []))


MENTIONS_ATTRIBUTE = "_mentions_shown"
TAGS_ATTRIBUTE = "_tags_shown"
# A status's mentions with their accounts, and its tags, by the status's id (core.rows).
MENTION_ROWS = RowShape(
    "feed.status_mentions", lambda: Mention.objects.select_related("account"), key="status"
)
TAG_ROWS = RowShape(
    "feed.status_tags", lambda: Status.tags.through.objects.select_related("tag"), key="status"
)


def mentions_and_tags_loaded(status: Status) -> bool:
    """Whether ``status``'s mentions and tags came with it (:func:`prefetch_mentions_and_tags`,
    or :func:`with_relations`' prefetches)."""
    fetched = getattr(status, "_prefetched_objects_cache", {})
    return hasattr(status, MENTIONS_ATTRIBUTE) or ("mentions" in fetched and "tags" in fetched)


def prefetch_mentions_and_tags(statuses: Iterable[Status]) -> None:
    """Load the mentions (with their accounts) and the tags of ``statuses``, in one query
    each, from SQL compiled once and prepared (:mod:`core.rows`): Django's prefetching
    built and compiled both queries for every page rendered, 1.3 ms of CPU for a status
    just posted. Statuses that have them are skipped; each gets them in the order they
    were written, read by :func:`status_mentions` and :func:`status_tags`."""
    pending = [status for status in statuses if not mentions_and_tags_loaded(status)]
    if not pending:
        return
    keys = [status.pk for status in pending]
    mentions: dict[int, list[Mention]] = {key: [] for key in keys}
    tags: dict[int, list[Tag]] = {key: [] for key in keys}
    for mention in sorted(rows_by_keys(MENTION_ROWS, keys), key=lambda row: row.pk):
        mentions[mention.status_id].append(mention)
    for link in sorted(rows_by_keys(TAG_ROWS, keys), key=lambda row: row.pk):
        tags[link.status_id].append(link.tag)
    for status in pending:
        setattr(status, MENTIONS_ATTRIBUTE, mentions[status.pk])
        setattr(status, TAGS_ATTRIBUTE, tags[status.pk])


def status_mentions(status: Status) -> list[Mention]:
    """The mentions of ``status`` with their accounts (loaded, prefetched, or fetched now)."""
    if hasattr(status, MENTIONS_ATTRIBUTE):
        return getattr(status, MENTIONS_ATTRIBUTE)
    return list(status.mentions.all())


def status_tags(status: Status) -> list[Tag]:
    """The tags of ``status`` (loaded, prefetched, or fetched now)."""
    if hasattr(status, TAGS_ATTRIBUTE):
        return getattr(status, TAGS_ATTRIBUTE)
    return list(status.tags.all())


def status_media(status: Status) -> list:
    """The media attachments of ``status`` (prefetched, or fetched now)."""
    if not hasattr(status, MEDIA_ATTRIBUTE):
        prefetch_media([status])
    return getattr(status, MEDIA_ATTRIBUTE)


def media_only(queryset: _Statuses) -> _Statuses:
    """Statuses of ``queryset`` with media attached (``only_media`` of the timelines)."""
    return queryset.filter(pk__in=statuses_with_media())


def status_get_for_viewer(*, viewer, status_id, for_entity: bool = True) -> Status:
    """The status if ``viewer`` may see it; NotFound otherwise (private is not revealed).

    With everything its entity shows (:func:`with_relations`), or with ``for_entity=False``
    only its author and the original it reblogs with its author: what an action on it
    reads, without the joins and prefetches of an answer."""
    status_id = parse_id(status_id)  # ids from a path are ints already; a body's may be text
    if status_id is None:
        raise errors.NotFound(_("Record not found"))
    visible = Status.objects.visible_to(viewer)
    queryset = (
        with_relations(visible)
        if for_entity
        else visible.select_related("account", "reblog_of", "reblog_of__account")
    )
    status = only_row(queryset.filter(pk=status_id))
    if status is None:
        raise errors.NotFound(_("Record not found"))
    return status


def status_get_acted_on(*, status_id: int) -> Status:
    """The status an action just took (a favourite, a bookmark, a pin, a reblog), with its
    relations, for the answer: the status the viewer acted on, whose visibility was checked
    when the action was asked for (:func:`status_get_for_viewer`) and which no action
    changes, or the viewer's own new reblog of it. So read by its id alone, from SQL
    compiled once (:data:`ACTED_ROWS`): building the visibility query a second time cost as
    much CPU as the rest of the request. Its mentions and tags are fetched as it is
    rendered (``StatusSerializer``)."""
    found = rows_by_keys(ACTED_ROWS, [status_id])
    if not found:
        raise errors.NotFound(_("Record not found"))
    return found[0]


def status_get_own(*, author, status_id: int) -> Status:
    """``author``'s own status, with its relations, unless moderation removed it: what its
    author may always see (a status just written, answered without the visibility query,
    whose rules all admit it).

    Never a reblog (a reblog is written and answered elsewhere), so read from
    :data:`OWN_ROWS`, without the joins :func:`with_key_relations` makes for a reblogged
    original, and compiled once: compiling the query with its relations cost more CPU
    than the rest of a status creation's reads. Its mentions and tags are fetched as it
    is rendered (``StatusSerializer``)."""
    found = rows_by_keys(OWN_ROWS, [status_id])
    if not found or found[0].account_id != author.pk:
        raise errors.NotFound(_("Record not found"))
    return found[0]


def statuses_page(
    queryset: QuerySet, params: PageParams, *, prepared: bool = False
) -> list[Status]:
    """A page of ``queryset``, newest first, with everything its entities show.

    In two queries, the same as the fan-out store's pages: the page's ids by
    ``queryset``'s own rules and order, then those rows by id with their relations
    (:func:`with_key_relations`, unordered) put back in the page's order
    (:func:`core.pagination.paginate_in_two`). Mentions and tags are not prefetched: a page
    is rendered as a list, which fetches them only for the statuses whose entity is not
    cached (prefetched for every row, a page read from the cache paid two queries and 7 ms
    of CPU for rows nobody read). One query doing both cost more: compiling the rules' query with every related column selected, ordered
    (Django hashes each selected column to match the ordering against them), and
    PostgreSQL's planning of the rules' joins and anti-joins beside the relations' seven
    joins (14 ms of planning for a public timeline page in ``bench/load.py``'s data).

    ``prepared``: the ids' query is prepared, for rules whose generic plan was measured to
    be their plan (:func:`core.pagination.paginate_in_two`)."""
    return paginate_in_two(queryset, params, PAGE_ROWS, prepared=prepared)


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


def thread_ancestor_ids(status: Status) -> list[int]:
    """Ids of the statuses ``status`` replies to, parent first (:func:`_thread_ancestor_ids`);
    no visibility applied."""
    return _thread_ancestor_ids(status)


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
    visible = without_muted(Status.objects.visible_to(viewer), viewer)
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
    return rows_in_order(ids, with_relations(Status.objects.all()))


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


@dataclass
class ViewerState:
    """Per-viewer flags of a page of statuses, one query whatever the page size.

    ``filtered`` maps a status id to its rendered FilterResult entities for this viewer
    (set by the interface that applied the viewer's filters; empty otherwise).
    """

    favourited: set[int] = field(default_factory=set)
    reblogged: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)
    # Statuses in threads the viewer muted (Mastodon's ``muted``).
    muted: set[int] = field(default_factory=set)
    filtered: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # Poll id -> the viewer's choices, for the polls it voted in (or authored).
    polls_voted: dict[int, list[int]] = field(default_factory=dict)
    # What the viewer is shown of the page's quotes (apps.feed.selectors.quotes.QuotesForViewer).
    quotes: Any = None


def viewer_state(*, viewer, statuses: Iterable[Status]) -> ViewerState:
    """The viewer's favourites, reblogs, bookmarks and muted threads among ``statuses`` (and
    the originals they reblog), in one query whatever the page size; and its votes in
    their polls, in one more when the page has polls; and what it is shown of their quotes
    (:func:`apps.feed.selectors.quotes.quotes_for_viewer`), the quoted statuses' flags
    included."""
    from apps.feed.selectors.quotes import quotes_for_viewer  # it reads statuses as this one

    state = ViewerState()
    statuses = list(statuses)
    state.quotes = quotes_for_viewer(viewer=viewer, statuses=statuses)
    if viewer is None or not viewer.is_authenticated:
        return state
    statuses = [*statuses, *state.quotes.quoted.values()]
    ids: set[int] = set()
    for status in statuses:
        ids.add(status.pk)
        if status.reblog_of_id:
            ids.add(status.reblog_of_id)
    if not ids:
        return state
    among, keys = any_of("ids", sorted(ids), connection=connection)
    # One round trip, written out: the ORM's three-way union costs more to compile
    # than the database takes to answer it. Only table names and the keys' condition
    # (named parameters) are formatted in; every value is a parameter.
    sql = f"""
        SELECT 'f', status_id FROM {Favourite._meta.db_table}
         WHERE account_id = %(viewer)s AND status_id {among}
        UNION ALL SELECT 'r', reblog_of_id FROM {Status._meta.db_table}
         WHERE account_id = %(viewer)s AND reblog_of_id {among}
        UNION ALL SELECT 'b', status_id FROM {Bookmark._meta.db_table}
         WHERE account_id = %(viewer)s AND status_id {among}
        UNION ALL SELECT 'm', s.id FROM {Status._meta.db_table} s
          JOIN {ConversationMute._meta.db_table} m ON m.conversation_id = s.conversation_id
         WHERE m.account_id = %(viewer)s AND s.id {among}
    """  # noqa: S608
    by_kind = {
        "f": state.favourited, "r": state.reblogged, "b": state.bookmarked, "m": state.muted
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, {"viewer": viewer.pk, **keys})
        for kind, status_id in cursor.fetchall():
            by_kind[kind].add(status_id)
    state.polls_voted = _polls_voted(viewer=viewer, statuses=statuses)
    return state


def _polls_voted(*, viewer, statuses: Iterable[Status]) -> dict[int, list[int]]:
    """The viewer's votes in the polls of ``statuses`` and their originals (one query, if any)."""
    statuses = list(statuses)
    prefetch_polls(statuses)
    polls = []
    for status in statuses:
        for shown in (status, status.reblog_of if status.reblog_of_id else None):
            poll = poll_of(shown) if shown is not None else None
            if poll is not None:
                polls.append(poll)
    return polls_voted(viewer=viewer, polls=polls)


def tag_get(*, name: str) -> Tag | None:
    return Tag.objects.filter(name__iexact=name).first()
