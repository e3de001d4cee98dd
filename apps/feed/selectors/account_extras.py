"""Reads of what accounts keep about others beyond follows, blocks and mutes: familiar
followers, endorsements, suggestions to follow, domain blocks; and several statuses by id."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from apps.accounts.models import Standing, User, able_to_act_q
from apps.feed.models import (
    AccountDomainBlock,
    AccountPin,
    Block,
    Follow,
    FollowRequest,
    Status,
    SuggestionDismissal,
)
from apps.feed.selectors.accounts import active_mutes
from apps.feed.selectors.statuses import with_relations
from core.pagination import PageParams, paginate_queryset


def familiar_followers(*, viewer, account_ids: list[int]) -> dict[int, list[User]]:
    """For each of ``account_ids``, the accounts the viewer follows that follow it, in one
    query. Accounts that hide their network show none, except to themselves (Mastodon)."""
    found: dict[int, list[User]] = {account_id: [] for account_id in account_ids}
    if not account_ids:
        return found
    follows = (
        Follow.objects.filter(target_id__in=account_ids)
        .filter(account__in=Follow.objects.filter(account=viewer).values("target"))
        .filter(able_to_act_q("account__"))
        .filter(Q(target__hide_collections=False) | Q(target=viewer))
        .select_related("account")
        .order_by("target_id", "-id")
    )
    for follow in follows:
        found[follow.target_id].append(follow.account)
    return found


def endorsements_page(*, account, params: PageParams) -> tuple[list[AccountPin], list[User]]:
    """The accounts ``account`` endorses (able to act), newest endorsement first."""
    rows = paginate_queryset(
        AccountPin.objects.filter(account=account)
        .filter(able_to_act_q("target__"))
        .select_related("target"),
        params,
    )
    return rows, [row.target for row in rows]


def suggestions(*, viewer, limit: int) -> list[User]:
    """Accounts to follow, the most followed first: discoverable and able to act, not
    limited (as Mastodon leaves silenced accounts out), not the viewer, not followed or
    requested by it, not blocked either way, not muted, not dismissed."""
    mine = Q(account=viewer)
    excluded = (
        Exists(Follow.objects.filter(mine, target=OuterRef("pk")))
        | Exists(FollowRequest.objects.filter(mine, target=OuterRef("pk")))
        | Exists(
            Block.objects.filter(
                Q(account=viewer, target=OuterRef("pk")) | Q(account=OuterRef("pk"), target=viewer)
            )
        )
        | Exists(active_mutes(viewer).filter(target=OuterRef("pk")))
        | Exists(SuggestionDismissal.objects.filter(mine, target=OuterRef("pk")))
    )
    return list(
        User.objects.able_to_act()
        .filter(discoverable=True)
        .exclude(pk__in=User.objects.with_standing(Standing.LIMITED).values("pk"))
        .exclude(pk=viewer.pk)
        .exclude(excluded)
        .order_by("-followers_count", "-pk")[:limit]
    )


def domain_blocks_page(*, viewer, params: PageParams) -> list[AccountDomainBlock]:
    return paginate_queryset(AccountDomainBlock.objects.filter(account=viewer), params)


def statuses_visible_in_order(*, viewer, ids: list[int]) -> list[Status]:
    """The statuses among ``ids`` that ``viewer`` may see (``visible_to``), in the order of
    ``ids``, relations loaded; the others are left out."""
    if not ids:
        return []
    by_id = {s.pk: s for s in with_relations(Status.objects.visible_to(viewer).filter(pk__in=ids))}
    return [by_id[i] for i in ids if i in by_id]
