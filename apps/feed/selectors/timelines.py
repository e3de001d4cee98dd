"""Reads of timelines: home, public, hashtag and an account's statuses, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from apps.feed.models import Follow, ListAccount, Status, TagFollow, Visibility
from apps.feed.models.compiled import CompiledCondition, Holds
from apps.feed.models.statuses import VISIBILITY, viewer_holds
from apps.feed.selectors.accounts import MUTING, without_muted
from apps.feed.selectors.statuses import media_only, statuses_page
from core.pagination import PageParams


def followed_tag_q(viewer) -> Q:
    """Public original statuses carrying a hashtag the viewer follows (Mastodon brings them
    into home as it does the statuses of followed accounts)."""
    tagged = Status.tags.through.objects.filter(
        status_id=OuterRef("pk"),
        tag_id__in=TagFollow.objects.filter(account=viewer).values("tag_id"),
    )
    return Q(Exists(tagged), visibility=Visibility.PUBLIC, reblog_of__isnull=True)


def home_candidates(viewer) -> QuerySet:
    """The viewer's own statuses, those of accounts they follow and the public ones with a
    hashtag they follow (:func:`followed_tag_q`) (mutes not applied).

    Reblogs from follows with reblogs turned off are left out. The feed store is
    rebuilt from this query; mutes apply when the timeline is read.
    """
    follows = Follow.objects.filter(account=viewer)
    followed = Q(account__in=follows.values("target"))
    no_reblogs = follows.filter(show_reblogs=False).values("target")
    return (
        Status.objects.visible_to(viewer)
        .filter(followed | Q(account=viewer) | followed_tag_q(viewer))
        .exclude(Q(reblog_of__isnull=False) & Q(account__in=no_reblogs))
        .exclude(Q(visibility=Visibility.DIRECT) & ~Q(account=viewer))
    )


def without_exclusive_members(queryset: QuerySet, viewer) -> QuerySet:
    """Statuses of ``queryset`` less those by members of the viewer's exclusive lists (other
    than the viewer): Mastodon 4.2's exclusive lists keep them out of home. By the author of
    the row, so a member's reblog stays out and a reblog of a member's status does not."""
    exclusive = ListAccount.objects.filter(list__account=viewer, list__exclusive=True)
    return queryset.exclude(Q(account__in=exclusive.values("account")) & ~Q(account=viewer))


def home_queryset(viewer) -> QuerySet:
    """Everything the viewer's home timeline may show: :func:`home_candidates` less mutes and
    the members of exclusive lists (both applied when read, as the feed store applies them)."""
    return without_exclusive_members(without_muted(home_candidates(viewer), viewer), viewer)


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


def _public_rules(
    viewer_id: int | None, member_of: Sequence[int], now: datetime
) -> QuerySet[Status]:
    """What the public timelines show the account ``viewer_id`` (None: anyone), as the ORM
    builds it (compiled once per shape: :data:`PUBLIC`): public original statuses the
    viewer may see (``member_of``: the creators they pay), by no limited account and by no
    account the viewer mutes."""
    visible = Holds(VISIBILITY, F("pk"), viewer_id=viewer_id, creators=member_of, now=now)
    queryset = Status.objects.filter(
        visible, visibility=Visibility.PUBLIC, reblog_of__isnull=True
    ).without_limited_accounts(now=now)
    if viewer_id is None:
        return queryset
    # A reblog's original's author is not asked after: these timelines show no reblogs.
    return queryset.exclude(
        Holds(MUTING, F("account_id"), viewer_id=viewer_id, creators=(), now=now)
    )


# The public timelines' rules as one condition on a status's key, compiled once per shape
# (the rules built and compiled by the ORM cost a page about a millisecond of CPU), with
# aliases apart from those of the conditions it holds.
PUBLIC = CompiledCondition(_public_rules, path=f"{__name__}.PUBLIC", alias_prefix="AGP")


def public_statuses(viewer) -> QuerySet[Status]:
    """Public original statuses ``viewer`` may see, by no limited or muted account: what
    the public, hashtag and link timelines list. The visibility and reblog conditions are
    repeated outside the compiled rules, for the index on visibility and id."""
    return Status.objects.filter(
        viewer_holds(PUBLIC, F("pk"), viewer),
        visibility=Visibility.PUBLIC,
        reblog_of__isnull=True,
    )


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
    if only_media:
        return statuses_page(media_only(public_statuses(viewer)), params)
    # Prepared: its generic plan, the rules' constants written in, is the plan for every
    # viewer and costs a tenth of planning each page (bench/plans.py). Not the hashtag and
    # link timelines: how many rows a tag or a link keeps is what their plans turn on.
    return statuses_page(public_statuses(viewer), params, prepared=True)


def tag_timeline(*, viewer, tag: str, params: PageParams, only_media: bool = False) -> list[Status]:
    queryset = public_statuses(viewer).filter(tags__name__iexact=tag)
    if only_media:
        queryset = media_only(queryset)
    return statuses_page(queryset, params)


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
        queryset = media_only(queryset)
    return statuses_page(queryset, params)


def link_timeline(*, viewer, card_id: int, params: PageParams) -> list[Status]:
    """Public statuses sharing a link (its preview card), newest first, as Mastodon 4.3's
    ``/api/v1/timelines/link``."""
    return statuses_page(public_statuses(viewer).filter(preview_card_id=card_id), params)
