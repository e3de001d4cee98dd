"""Reads of quotes (Mastodon 4.5): what a viewer is shown of the quotes on a page of
statuses, who may quote a status, and the quotes of a status.

Whether the viewer may see a quoted status is ``Status.objects.visible_to`` (the one
rule); a quote of a status it may not see is shown as ``unauthorized``, without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from apps.feed.models import Follow, Quote, QuotePolicy, Status, Visibility
from apps.feed.selectors.statuses import with_relations
from core.pagination import PageParams, paginate_queryset


@dataclass
class QuoteView:
    """One quote as a viewer is shown it: Mastodon's ``state`` and the quoted status's id
    (None unless the state is ``accepted``)."""

    state: str
    quoted_status_id: int | None


@dataclass
class QuotesForViewer:
    """The quotes of a page of statuses (and of the statuses they quote) for one viewer.

    ``quotes`` maps a quoting status's id to its QuoteView; ``quoted`` holds the quoted
    statuses the viewer may see, relations loaded, to render inside the quotes;
    ``policies`` maps each status's id to Mastodon's ``quote_approval.current_user``.
    """

    quotes: dict[int, QuoteView] = field(default_factory=dict)
    quoted: dict[int, Status] = field(default_factory=dict)
    policies: dict[int, str] = field(default_factory=dict)


def quote_views(*, viewer, rows: Iterable[Quote], visible_ids: set[int]) -> dict[int, QuoteView]:
    """The QuoteViews of ``rows`` for a viewer who may see the statuses ``visible_ids``."""
    views = {}
    for row in rows:
        state = row.state
        if state == Quote.State.ACCEPTED:
            if row.quoted_status_id is None:
                state = Quote.State.DELETED
            elif row.quoted_status_id not in visible_ids:
                state = "unauthorized"
        shown = row.quoted_status_id if state == Quote.State.ACCEPTED else None
        views[row.status_id] = QuoteView(state=state, quoted_status_id=shown)
    return views


def _quote_rows(statuses: list[Status]) -> list[Quote]:
    """The quotes of ``statuses``: those loaded with them (``with_relations``), and one query
    for the statuses loaded without."""
    rows: list[Quote] = []
    unknown = set()
    for status in statuses:
        cache = status._state.fields_cache
        if "quote" in cache:
            if cache["quote"] is not None:
                rows.append(cache["quote"])
        else:
            unknown.add(status.pk)
    if unknown:
        rows += list(Quote.objects.filter(status_id__in=unknown))
    return rows


def _accepted_targets(rows: Iterable[Quote]) -> set[int]:
    return {
        row.quoted_status_id
        for row in rows
        if row.state == Quote.State.ACCEPTED and row.quoted_status_id is not None
    }


def quotes_for_viewer(*, viewer, statuses: Iterable[Status]) -> QuotesForViewer:
    """What ``viewer`` is shown of the quotes of ``statuses`` (and of their reblogged originals),
    and of the quotes of the statuses they quote (Mastodon's shallow quotes, one level down).

    A fixed number of queries whatever the page: one for the page's quotes and, when some
    are accepted, one (with its prefetches) for the quoted statuses the viewer may see, one
    for their own quotes and one for which of those the viewer may see; one more for the
    viewer's follows when a policy lets followers quote.
    """
    found = QuotesForViewer()
    shown: list[Status] = []
    for status in statuses:
        shown.append(status)
        if status.reblog_of_id is not None and status.reblog_of is not None:
            shown.append(status.reblog_of)
    if not shown:
        return found
    rows = _quote_rows(shown)
    targets = _accepted_targets(rows)
    # Built only when something is quoted: the visibility query costs milliseconds of CPU
    # to build, and most pages quote nothing.
    visible = Status.objects.visible_to(viewer) if targets else Status.objects.none()
    if targets:
        found.quoted = {
            quoted.pk: quoted
            for quoted in with_relations(visible.filter(pk__in=targets, reblog_of__isnull=True))
        }
    found.quotes = quote_views(viewer=viewer, rows=rows, visible_ids=set(found.quoted))
    if found.quoted:
        nested = _quote_rows(list(found.quoted.values()))
        nested_targets = _accepted_targets(nested)
        nested_visible = (
            set(visible.filter(pk__in=nested_targets).values_list("pk", flat=True))
            if nested_targets
            else set()
        )
        found.quotes.update(quote_views(viewer=viewer, rows=nested, visible_ids=nested_visible))
    found.policies = quote_policies(viewer=viewer, statuses=[*shown, *found.quoted.values()])
    return found


def quote_policies(*, viewer, statuses: Iterable[Status]) -> dict[int, str]:
    """Mastodon's ``quote_approval.current_user`` of each of ``statuses`` for ``viewer``:
    ``automatic``, ``manual``, ``unknown`` or ``denied`` (Mastodon 4.5's
    ``quote_policy_for_account``; a reblog's is its original's). At most one query (the
    viewer's follows), only when a policy lets followers quote."""
    by_id = {status.pk: status for status in statuses}
    statuses = [
        status.reblog_of if status.reblog_of_id is not None and status.reblog_of else status
        for status in by_id.values()
    ]
    if viewer is None or not viewer.is_authenticated:
        return dict.fromkeys(by_id, "denied")
    followers_only = {
        status.account_id
        for status in statuses
        if (status.quote_approval_policy >> 16) & QuotePolicy.FOLLOWERS
        and not (status.quote_approval_policy >> 16) & QuotePolicy.PUBLIC
        and status.account_id != viewer.pk
    }
    following = (
        set(
            Follow.objects.filter(account=viewer, target_id__in=followers_only).values_list(
                "target_id", flat=True
            )
        )
        if followers_only
        else set()
    )
    return {
        status_id: quote_policy_for(viewer=viewer, status=proper, following=following)
        for status_id, proper in zip(by_id, statuses, strict=True)
    }


def quote_policy_for(*, viewer, status: Status, following: set[int] | None = None) -> str:
    """``automatic``, ``unknown`` or ``denied``: whether ``viewer`` may quote ``status``.

    The author may always quote its own (unless it is direct); others as the policy says,
    ``following`` being the authors ``viewer`` follows (looked up when not given).
    """
    if viewer is None or not viewer.is_authenticated:
        return "denied"
    if status.visibility == Visibility.DIRECT or status.reblog_of_id is not None:
        return "denied"
    if status.account_id == viewer.pk:
        return "automatic"
    automatic = status.quote_approval_policy >> 16
    manual = status.quote_approval_policy & 0xFFFF
    if automatic & QuotePolicy.PUBLIC:
        return "automatic"
    if automatic & QuotePolicy.FOLLOWERS:
        if following is None:
            following = set(
                Follow.objects.filter(account=viewer, target_id=status.account_id).values_list(
                    "target_id", flat=True
                )
            )
        if status.account_id in following:
            return "automatic"
    if (automatic | manual) & QuotePolicy.UNSUPPORTED:
        return "unknown"
    return "denied"


def quotes_of_status(*, viewer, status: Status, params: PageParams) -> tuple[list[Quote], list]:
    """The accepted quotes of ``status`` whose quoting statuses ``viewer`` may see, newest
    first, paged by the quote's id (Mastodon's cursor); and those statuses, in order."""
    visible = Status.objects.visible_to(viewer).values("pk")
    rows = paginate_queryset(
        Quote.objects.filter(
            quoted_status=status, state=Quote.State.ACCEPTED, status_id__in=visible
        ),
        params,
    )
    by_id = {
        found.pk: found
        for found in with_relations(Status.objects.filter(pk__in=[r.status_id for r in rows]))
    }
    return rows, [by_id[row.status_id] for row in rows if row.status_id in by_id]


def quote_of_status(*, viewer, status: Status, quoting_status_id: int) -> Quote | None:
    """The quote of ``status`` by the status ``quoting_status_id``, if ``viewer`` may see it."""
    visible = Status.objects.visible_to(viewer).values("pk")
    return (
        Quote.objects.filter(quoted_status=status, status_id=quoting_status_id)
        .filter(status_id__in=visible)
        .first()
    )


def quoting_account_ids(*, status: Status) -> QuerySet:
    """The authors of the accepted quotes of ``status`` (a ``values()`` queryset)."""
    return Quote.objects.filter(quoted_status=status, state=Quote.State.ACCEPTED).values(
        "account_id"
    )
