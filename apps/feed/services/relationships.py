"""Writes of relationships between accounts: follows, follow requests, blocks and mutes."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed import fanout
from apps.feed.models import AccountPin, Block, Follow, FollowRequest, Mute, Notification
from apps.feed.services.notifications import notification_create
from core import errors, events

User = get_user_model()


def _refuse_if_blocked(account, target) -> None:
    if Block.objects.filter(
        Q(account=account, target=target) | Q(account=target, target=account)
    ).exists():
        raise errors.Forbidden(_("This action is not allowed"))


def account_follow(*, account, target, reblogs: bool = True, notify: bool = False):
    """Follow ``target``, or ask to when it is locked. Returns the Follow or FollowRequest."""
    if account.pk == target.pk:
        raise errors.Invalid({"id": [_("you cannot follow yourself")]})
    _refuse_if_blocked(account, target)
    with transaction.atomic():
        follow = Follow.objects.filter(account=account, target=target).first()
        if follow is not None:
            Follow.objects.filter(pk=follow.pk).update(show_reblogs=reblogs, notify=notify)
            return follow
        if target.locked:
            request, created = FollowRequest.objects.get_or_create(
                account=account, target=target, defaults={"show_reblogs": reblogs, "notify": notify}
            )
            if created:
                notification_create(
                    recipient=target, actor=account, type=Notification.Type.FOLLOW_REQUEST
                )
            return request
        return _follow_accept(account=account, target=target, reblogs=reblogs, notify=notify)


def _follow_accept(*, account, target, reblogs: bool, notify: bool) -> Follow:
    follow, created = Follow.objects.get_or_create(
        account=account, target=target, defaults={"show_reblogs": reblogs, "notify": notify}
    )
    if created:
        User.objects.filter(pk=account.pk).update(following_count=F("following_count") + 1)
        User.objects.filter(pk=target.pk).update(followers_count=F("followers_count") + 1)
        notification_create(recipient=target, actor=account, type=Notification.Type.FOLLOW)
        fanout.relationship_changed(account_id=account.pk, target_id=target.pk, following=True)
    return follow


def account_unfollow(*, account, target) -> None:
    with transaction.atomic():
        FollowRequest.objects.filter(account=account, target=target).delete()
        deleted, _by_model = Follow.objects.filter(account=account, target=target).delete()
        if deleted:
            # Only followed accounts are endorsed (Mastodon's Follow#remove_endorsements).
            AccountPin.objects.filter(account=account, target=target).delete()
            User.objects.filter(pk=account.pk, following_count__gt=0).update(
                following_count=F("following_count") - 1
            )
            User.objects.filter(pk=target.pk, followers_count__gt=0).update(
                followers_count=F("followers_count") - 1
            )
            fanout.relationship_changed(account_id=account.pk, target_id=target.pk, following=False)


def follow_request_authorize(*, account, requester) -> Follow:
    with transaction.atomic():
        request = (
            FollowRequest.objects.select_for_update()
            .filter(account=requester, target=account)
            .first()
        )
        if request is None:
            raise errors.NotFound(_("Record not found"))
        request.delete()
        Notification.objects.filter(
            account=account, from_account=requester, type=Notification.Type.FOLLOW_REQUEST
        ).delete()
        return _follow_accept(
            account=requester, target=account, reblogs=request.show_reblogs, notify=request.notify
        )


def follow_request_reject(*, account, requester) -> None:
    with transaction.atomic():
        deleted, _by_model = FollowRequest.objects.filter(
            account=requester, target=account
        ).delete()
        if not deleted:
            raise errors.NotFound(_("Record not found"))
        Notification.objects.filter(
            account=account, from_account=requester, type=Notification.Type.FOLLOW_REQUEST
        ).delete()


def account_block(*, account, target) -> Block:
    """Block ``target``: follows both ways end, and neither sees the other."""
    if account.pk == target.pk:
        raise errors.Invalid({"id": [_("you cannot block yourself")]})
    with transaction.atomic():
        account_unfollow(account=account, target=target)
        account_unfollow(account=target, target=account)
        Notification.objects.filter(account=account, from_account=target).delete()
        block, created = Block.objects.get_or_create(account=account, target=target)
        if created:
            events.publish(events.AccountBlocked(account_id=account.pk, target_id=target.pk))
    return block


def account_unblock(*, account, target) -> None:
    Block.objects.filter(account=account, target=target).delete()


def account_mute(*, account, target, notifications: bool = True, duration: int = 0) -> Mute:
    if account.pk == target.pk:
        raise errors.Invalid({"id": [_("you cannot mute yourself")]})
    if duration < 0:
        raise errors.Invalid({"duration": [_("must not be negative")]})
    expires_at = timezone.now() + timedelta(seconds=duration) if duration else None
    mute, _created = Mute.objects.update_or_create(
        account=account, target=target,
        defaults={"hide_notifications": notifications, "expires_at": expires_at},
    )  # fmt: skip
    return mute


def account_unmute(*, account, target) -> None:
    Mute.objects.filter(account=account, target=target).delete()


def accounts_mute_until(*, account_id: int, target_ids, until) -> list[int]:
    """Mute each of ``target_ids`` for the account until ``until`` (notifications too), in
    two queries; the ids it newly muted. An account already muted stays as the account
    left it (a permanent mute is never shortened)."""
    wanted = set(target_ids) - {account_id}
    already = set(
        Mute.objects.filter(account_id=account_id, target_id__in=wanted).values_list(
            "target_id", flat=True
        )
    )
    new = sorted(wanted - already)
    Mute.objects.bulk_create(
        [
            Mute(
                account_id=account_id,
                target_id=target_id,
                hide_notifications=True,
                expires_at=until,
            )
            for target_id in new
        ],
        ignore_conflicts=True,
    )
    return new


def accounts_unmute_if_until(*, account_id: int, target_ids, until) -> int:
    """Take back the mutes :func:`accounts_mute_until` made (those still ending at ``until``:
    a mute the account changed since is its own); how many went."""
    deleted, _by_model = Mute.objects.filter(
        account_id=account_id, target_id__in=list(target_ids), expires_at=until
    ).delete()
    return deleted
