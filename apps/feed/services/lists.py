"""Writes of lists (Mastodon's lists): creating, editing and deleting them, adding and removing
members. Each runs in a transaction; bad input raises ``Invalid`` (422) with nothing written.

A member is an account the owner follows (or the owner): Mastodon's ``ListAccount`` takes the
follow along, so unfollowing someone takes them off the owner's lists. Membership changes
reach the feed store after commit (``feed.list_merge`` / ``feed.list_unmerge``), as follows
do for home.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.feed.fanout.store import store_enabled
from apps.feed.models import Follow, List, ListAccount
from core import errors, queue
from core.ids import parse_id

POLICIES = [choice.value for choice in List.RepliesPolicy]


def _clean_title(title: str) -> str:
    if not title.strip():
        raise errors.Invalid({"title": [_("can't be blank")]}, code="blank")
    if len(title) > List.TITLE_MAX_LENGTH:
        raise errors.Invalid(
            {"title": [_("is too long (maximum is %d characters)") % List.TITLE_MAX_LENGTH]},
            code="too_long",
        )
    return title


def _clean_policy(replies_policy: str) -> str:
    if replies_policy not in POLICIES:
        raise errors.Invalid({"replies_policy": [_("is not included in the list")]})
    return replies_policy


def list_create(
    *, owner, title: str, replies_policy: str = List.RepliesPolicy.LIST, exclusive: bool = False
) -> List:
    """A new list of ``owner``. Invalid: a blank or over-long title, an unknown replies policy,
    or the owner already has :attr:`List.PER_ACCOUNT_LIMIT` lists."""
    title = _clean_title(title)
    replies_policy = _clean_policy(replies_policy)
    with transaction.atomic():
        # The owner's row, locked, serialises concurrent creations against the limit.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        if List.objects.filter(account=owner).count() >= List.PER_ACCOUNT_LIMIT:
            raise errors.Invalid(_("You have reached the maximum number of lists"))
        return List.objects.create(
            account=owner, title=title, replies_policy=replies_policy, exclusive=exclusive
        )


def list_update(
    *,
    list_: List,
    owner,
    title: str | None = None,
    replies_policy: str | None = None,
    exclusive: bool | None = None,
) -> List:
    """Change what is given of a list's title, replies policy and exclusivity (Invalid as
    :func:`list_create`). ``owner`` must own it (NotFound otherwise)."""
    if list_.account_id != owner.pk:
        raise errors.NotFound(_("Record not found"))
    changed: dict[str, object] = {}
    if title is not None:
        changed["title"] = _clean_title(title)
    if replies_policy is not None:
        changed["replies_policy"] = _clean_policy(replies_policy)
    if exclusive is not None:
        changed["exclusive"] = exclusive
    if changed:
        with transaction.atomic():
            for name, value in changed.items():
                setattr(list_, name, value)
            list_.save(update_fields=[*changed, "updated_at"])
    return list_


def list_delete(*, list_: List, owner) -> None:
    """Delete a list and its memberships. Its store entry (``feed:list:<id>``) is never read
    again (ids are not reused) and expires."""
    if list_.account_id != owner.pk:
        raise errors.NotFound(_("Record not found"))
    with transaction.atomic():
        List.objects.filter(pk=list_.pk).delete()


def _account_ids(raw: Iterable) -> list[int]:
    """Ids as given (text or numbers); one that is not an id is no account: NotFound."""
    ids = []
    for value in raw:
        parsed = parse_id(value)
        if parsed is None:
            raise errors.NotFound(_("Record not found"))
        ids.append(parsed)
    return list(dict.fromkeys(ids))


def list_accounts_add(*, list_: List, owner, account_ids: Iterable) -> list[int]:
    """Add accounts to a list; those already on it stay as they are. Returns the ids added.

    All or nothing, as Mastodon's: NotFound when an id names no account; Invalid when one is
    neither followed by the owner nor the owner.
    """
    if list_.account_id != owner.pk:
        raise errors.NotFound(_("Record not found"))
    ids = _account_ids(account_ids)
    if not ids:
        return []
    with transaction.atomic():
        found = set(User.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if len(found) != len(ids):
            raise errors.NotFound(_("Record not found"))
        follows = dict(
            Follow.objects.filter(account=owner, target_id__in=ids).values_list("target_id", "pk")
        )
        if any(i not in follows and i != owner.pk for i in ids):
            raise errors.Invalid(
                {"account_id": [_("must be a followed account")]}, code="must_be_following"
            )
        present = set(
            ListAccount.objects.filter(list=list_, account_id__in=ids).values_list(
                "account_id", flat=True
            )
        )
        added = [i for i in ids if i not in present]
        ListAccount.objects.bulk_create(
            [ListAccount(list=list_, account_id=i, follow_id=follows.get(i)) for i in added],
            ignore_conflicts=True,
        )
        if store_enabled():
            for account_id in added:
                queue.send_on_commit("feed.list_merge", list_id=list_.pk, account_id=account_id)
    return added


def list_accounts_remove(*, list_: List, owner, account_ids: Iterable) -> int:
    """Take accounts off a list (ids not on it are ignored, as Mastodon's). Returns how many."""
    if list_.account_id != owner.pk:
        raise errors.NotFound(_("Record not found"))
    ids = [i for i in (parse_id(v) for v in account_ids) if i is not None]
    if not ids:
        return 0
    with transaction.atomic():
        removed = list(
            ListAccount.objects.filter(list=list_, account_id__in=ids).values_list(
                "account_id", flat=True
            )
        )
        ListAccount.objects.filter(list=list_, account_id__in=removed).delete()
        if store_enabled():
            for account_id in removed:
                queue.send_on_commit("feed.list_unmerge", list_id=list_.pk, account_id=account_id)
    return len(removed)
