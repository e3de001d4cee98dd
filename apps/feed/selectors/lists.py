"""Reads of lists: an owner's lists, their members, and the list timeline (Mastodon's lists).

A list timeline shows what the owner's home timeline would show of the members' statuses
(:func:`apps.feed.selectors.home_candidates`, mutes applied), less direct statuses (Mastodon
delivers none to lists) and the replies its ``replies_policy`` leaves out. Only
``exclusive`` differs: an exclusive list keeps its members' statuses out of home, never out
of the list itself. Someone else's list is a 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import User, able_to_act_q
from apps.feed.models import Follow, List, ListAccount, Status, Visibility
from apps.feed.selectors.accounts import without_muted
from apps.feed.selectors.statuses import statuses_page
from apps.feed.selectors.timelines import home_candidates
from core import errors
from core.ids import parse_id
from core.pagination import PageParams, paginate_queryset


def list_get_for_owner(*, owner, list_id) -> List:
    """The list ``list_id`` if ``owner`` owns it; NotFound otherwise (someone else's too)."""
    list_id = parse_id(list_id)
    found = None
    if list_id is not None and owner is not None and owner.is_authenticated:
        found = List.objects.filter(pk=list_id, account=owner).first()
    if found is None:
        raise errors.NotFound(_("Record not found"))
    return found


def lists_for_owner(*, owner) -> list[List]:
    """Every list of ``owner``, oldest first (Mastodon's ``GET /api/v1/lists``): one query."""
    return list(List.objects.filter(account=owner).order_by("id"))


def lists_containing(*, owner, account_id: int) -> list[List]:
    """The lists of ``owner`` that ``account_id`` is a member of, oldest first: one query."""
    return list(
        List.objects.filter(account=owner, memberships__account_id=account_id).order_by("id")
    )


def list_members(list_: List) -> QuerySet:
    """The list's memberships whose accounts may be shown (not suspended or disabled)."""
    return ListAccount.objects.filter(list=list_).filter(able_to_act_q("account__"))


def list_accounts_page(*, list_: List, params: PageParams | None) -> tuple[list, list[User]]:
    """The members of a list as (membership rows, accounts), paged by account id as Mastodon
    pages them; ``params`` None answers every member (Mastodon's ``limit=0``). One query."""
    memberships = list_members(list_).select_related("account")
    if params is None:
        rows = list(memberships.order_by("-account_id"))
    else:
        rows = paginate_queryset(memberships, params, key="account_id")
    return rows, [row.account for row in rows]


def _replies_allowed(list_: List) -> Q:
    """Mastodon's ``filter_from_list?``: a reply to someone other than its author shows when it
    replies to the owner, or as ``replies_policy`` says (anyone the owner follows, a member of
    the list, or no one else)."""
    not_a_reply = Q(in_reply_to_account__isnull=True) | Q(in_reply_to_account=F("account"))
    allowed = not_a_reply | Q(in_reply_to_account=list_.account_id)
    if list_.replies_policy == List.RepliesPolicy.FOLLOWED:
        followed = Follow.objects.filter(account_id=list_.account_id).values("target")
        allowed |= Q(in_reply_to_account__in=followed)
    elif list_.replies_policy == List.RepliesPolicy.LIST:
        members = ListAccount.objects.filter(list=list_).values("account")
        allowed |= Q(in_reply_to_account__in=members)
    return allowed


def list_candidates(list_: List) -> QuerySet:
    """The statuses a list may show, before mutes: the owner's home candidates by members,
    not direct, with the replies policy applied. The feed store rebuilds a list from it."""
    owner = list_.account
    members = ListAccount.objects.filter(list=list_).values("account")
    return (
        home_candidates(owner)
        .filter(account__in=members)
        .exclude(visibility=Visibility.DIRECT)
        .filter(_replies_allowed(list_))
    )


def list_queryset(list_: List) -> QuerySet:
    """Everything the list timeline shows: :func:`list_candidates` less the owner's mutes."""
    return without_muted(list_candidates(list_), list_.account)


def list_timeline(*, list_: List, params: PageParams) -> list[Status]:
    """A page of the list timeline, newest first: from the feed store when Redis is configured
    (see :mod:`apps.feed.fanout.lists`), from the database otherwise or when the store cannot
    vouch for the page. The same statuses either way."""
    from apps.feed import fanout
    from apps.feed.fanout import lists as list_feeds

    if fanout.store_enabled():
        page = list_feeds.list_timeline_page(list_=list_, params=params)
        if page is not None:
            return page
    return statuses_page(list_queryset(list_), params)


def lists_receiving(
    *,
    author_id: int,
    visibility: str,
    is_reblog: bool,
    in_reply_to_account_id: int | None,
    list_ids: Sequence[int] | None = None,
) -> list[int]:
    """The lists a new status by ``author_id`` is pushed into (Mastodon's ``push_to_list``), in
    one query: lists holding the author through the owner's follow (reblogs only when that
    follow shows them) or because the owner is the author, whose replies policy admits it.
    Direct statuses reach no list. Visibility, blocks and mutes are the reads' business.
    """
    if visibility == Visibility.DIRECT:
        return []
    memberships = ListAccount.objects.filter(account_id=author_id).filter(
        Q(follow__isnull=False) | Q(list__account_id=author_id)
    )
    if is_reblog:
        memberships = memberships.filter(
            Q(follow__show_reblogs=True) | Q(list__account_id=author_id)
        )
    if list_ids is not None:
        memberships = memberships.filter(list_id__in=list_ids)
    replied = in_reply_to_account_id
    if replied is not None and replied != author_id:
        follows_replied = Follow.objects.filter(account=OuterRef("list__account"), target=replied)
        replied_is_member = ListAccount.objects.filter(list=OuterRef("list"), account=replied)
        memberships = memberships.filter(
            Q(list__account_id=replied)
            | (Q(list__replies_policy=List.RepliesPolicy.FOLLOWED) & Exists(follows_replied))
            | (Q(list__replies_policy=List.RepliesPolicy.LIST) & Exists(replied_is_member))
        )
    return sorted(memberships.values_list("list_id", flat=True))
