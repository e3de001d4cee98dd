"""Writes of what accounts do to others' statuses: favourites, reblogs, bookmarks, pins."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed.models import Bookmark, Favourite, Notification, Status, Visibility
from apps.feed.services.notifications import notification_create
from apps.feed.services.statuses import status_delete
from core import errors, events

MAX_PINNED = 5


def status_favourite(*, status: Status, account) -> Status:
    with transaction.atomic():
        _favourite, created = Favourite.objects.get_or_create(account=account, status=status)
        if created:
            Status.objects.filter(pk=status.pk).update(favourites_count=F("favourites_count") + 1)
            notification_create(
                recipient=status.account,
                actor=account,
                type=Notification.Type.FAVOURITE,
                status=status,
            )
    status.refresh_from_db()
    return status


def status_unfavourite(*, status: Status, account) -> Status:
    with transaction.atomic():
        deleted, _by_model = Favourite.objects.filter(account=account, status=status).delete()
        if deleted:
            Status.objects.filter(pk=status.pk, favourites_count__gt=0).update(
                favourites_count=F("favourites_count") - 1
            )
    status.refresh_from_db()
    return status


def status_reblog(*, status: Status, account, visibility: str = Visibility.PUBLIC) -> Status:
    """Reblog a visible public or unlisted status (once). Returns the reblog.

    A members-only status is never reblogged, not even by its author: a reblog would show it
    beyond the members (Forbidden, as Mastodon answers for a private status)."""
    if status.reblog_of is not None:  # reblogging a reblog reblogs its original
        status = status.reblog_of
    if status.members_only:
        raise errors.Forbidden(_("This action is not allowed"))
    if (
        status.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED)
        and status.account_id != account.pk
    ):
        raise errors.Forbidden(_("This action is not allowed"))
    if status.visibility == Visibility.DIRECT:
        raise errors.Forbidden(_("This action is not allowed"))
    if visibility not in (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE):
        raise errors.Invalid({"visibility": [_("is not a valid visibility")]})
    existing = Status.objects.filter(account=account, reblog_of=status).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        try:
            with transaction.atomic():
                reblog = Status.objects.create(
                    account=account, reblog_of=status, visibility=visibility
                )
        except IntegrityError:
            return Status.objects.get(account=account, reblog_of=status)
        Status.objects.filter(pk=status.pk).update(reblogs_count=F("reblogs_count") + 1)
        notification_create(
            recipient=status.account, actor=account, type=Notification.Type.REBLOG, status=status
        )
        events.publish(
            events.ContentPublished(
                content_type="status", content_id=reblog.pk, author_id=account.pk
            )
        )
    return reblog


def status_unreblog(*, status: Status, account) -> Status:
    original = status.reblog_of if status.reblog_of is not None else status
    reblog = Status.objects.filter(account=account, reblog_of=original).first()
    if reblog is not None:
        status_delete(status=reblog, actor=account)
    original.refresh_from_db()
    return original


def status_bookmark(*, status: Status, account) -> Status:
    Bookmark.objects.get_or_create(account=account, status=status)
    return status


def status_unbookmark(*, status: Status, account) -> Status:
    Bookmark.objects.filter(account=account, status=status).delete()
    return status


def status_pin(*, status: Status, account) -> Status:
    if status.account_id != account.pk or status.is_reblog:
        raise errors.Invalid({"status": [_("can only pin your own statuses")]})
    if status.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE):
        raise errors.Invalid({"status": [_("cannot pin a direct message")]})
    if status.pinned_at is None:
        if Status.objects.filter(account=account, pinned_at__isnull=False).count() >= MAX_PINNED:
            raise errors.Invalid(
                {"status": [_("you can pin at most %(n)d statuses") % {"n": MAX_PINNED}]}
            )
        status.pinned_at = timezone.now()
        status.save(update_fields=["pinned_at", "updated_at"])
    return status


def status_unpin(*, status: Status, account) -> Status:
    if status.account_id == account.pk and status.pinned_at is not None:
        status.pinned_at = None
        status.save(update_fields=["pinned_at", "updated_at"])
    return status
