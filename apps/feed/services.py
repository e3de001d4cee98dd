"""Writes of the social core. Each runs in a transaction and emits core.events.

Views, tasks and the admin call these; none of the rules below live anywhere else.
Refusals raise the platform's errors (:mod:`core.errors`, answered in Mastodon's
error shape by the one exception handler): NotFound for what the actor may not
see, Forbidden for what they see but may not do, Invalid (422) for bad input.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed import fanout, selectors, streaming
from apps.feed import text as text_rendering
from apps.feed.languages import normalise_language
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
    StatusEdit,
    Tag,
    Visibility,
)
from apps.media import services as media_services
from core import errors, events, idempotency
from core.entitlements import entitlements_for

User = get_user_model()
MAX_PINNED = 5


# Statuses ------------------------------------------------------------------


def _validate_text(*, author, text: str, spoiler_text: str, has_media: bool = False) -> None:
    limit = entitlements_for(author).max_status_characters
    length = len(text) + len(spoiler_text)
    if length > limit:
        raise errors.Invalid(
            {"text": [_("is too long (maximum is %(limit)d characters)") % {"limit": limit}]}
        )
    if not text.strip() and not has_media:
        raise errors.Invalid({"text": [_("can't be blank")]})


def _accounts_named(lowered: set[str] | list[str]) -> dict[str, object]:
    """Active accounts whose usernames match ``lowered`` (case-insensitively), in one query."""
    if not lowered:
        return {}
    match = Q(*[Q(username__iexact=name) for name in lowered], _connector=Q.OR)
    return {
        account.username.lower(): account for account in User.objects.filter(match, is_active=True)
    }


def _apply_text(status: Status, *, text: str) -> text_rendering.RenderedText:
    known = set(_accounts_named(text_rendering.mentioned_usernames(text)))
    rendered = text_rendering.render(text, known_usernames=known)
    status.text = text
    status.content = rendered.html
    return rendered


def _sync_mentions_and_tags(status: Status, rendered: text_rendering.RenderedText) -> list:
    """Make the status's mentions and tags match ``rendered``; return newly mentioned accounts."""
    accounts = list(_accounts_named(rendered.mentions).values())
    existing = set(status.mentions.values_list("account_id", flat=True))
    wanted = {a.pk for a in accounts}
    Mention.objects.filter(status=status).exclude(account_id__in=wanted).delete()
    Mention.objects.bulk_create(
        [Mention(status=status, account=a) for a in accounts if a.pk not in existing],
        ignore_conflicts=True,
    )
    status.tags.set([_tag_for(name) for name in rendered.tags])
    return [a for a in accounts if a.pk not in existing]


def _tag_for(name: str) -> Tag:
    tag = Tag.objects.filter(name__iexact=name).first()
    if tag is not None:
        return tag
    try:
        with transaction.atomic():
            return Tag.objects.create(name=name)
    except IntegrityError:
        return Tag.objects.get(name__iexact=name)


def _checked_language(language: str) -> str:
    """``language`` as a lower-case ISO 639 code (or ``""``). Raises Invalid.

    The API takes ISO 639-1 codes only; an account's default language may be any
    ISO 639 code its profile accepted, so a status it falls back to keeps it.
    """
    code = (language or "").strip().lower()
    if code and not (normalise_language(code) or (2 <= len(code) <= 3 and code.isalpha())):
        raise errors.Invalid({"language": [_("is not an ISO 639 language code")]})
    return code


def _posting_language(author) -> str:
    """The language a status is in when its client names none, as Mastodon's cascade.

    The account's posting default, else the language of its interface locale, else the
    server's own (``LANGUAGE_CODE``): Mastodon never leaves a local status without one.
    """
    for candidate in (author.default_language, author.locale, settings.LANGUAGE_CODE):
        code = (candidate or "").split("-")[0].split("_")[0].strip().lower()
        if code:
            return code
    return ""


def status_create(
    *,
    author,
    text: str,
    visibility: str = Visibility.PUBLIC,
    spoiler_text: str = "",
    sensitive: bool = False,
    language: str = "",
    in_reply_to_id: int | None = None,
    application_name: str = "",
    idempotency_key: str | None = None,
    media_ids: list | None = None,
) -> Status:
    """Publish a status (or a reply), with up to four of the author's media attachments.

    ``media_ids`` must be the author's own, processed and not yet attached
    (:func:`apps.media.services.media_attach`). A status needs text or media.
    With ``idempotency_key`` a repeated request within an hour returns the first
    status (:func:`core.idempotency.create_once`).
    Raises Invalid, Unprocessable (media), NotFound (invisible parent).
    """
    return idempotency.create_once(
        scope="status",
        account_id=author.pk,
        key=idempotency_key,
        find=lambda pk: Status.objects.filter(pk=pk, account=author).first(),
        create=lambda: _status_insert(
            author=author,
            text=text,
            visibility=visibility,
            spoiler_text=spoiler_text,
            sensitive=sensitive,
            language=language,
            in_reply_to_id=in_reply_to_id,
            application_name=application_name,
            media_ids=media_ids,
        ),
    )


def _status_insert(
    *,
    author,
    text: str,
    visibility: str,
    spoiler_text: str,
    sensitive: bool,
    language: str,
    in_reply_to_id: int | None,
    application_name: str,
    media_ids: list | None,
) -> Status:
    """Validate and store a new status with its mentions, tags, notifications and event."""
    if visibility not in Visibility.values:
        raise errors.Invalid({"visibility": [_("is not a valid visibility")]})
    language = _checked_language(language) or _posting_language(author)
    _validate_text(author=author, text=text, spoiler_text=spoiler_text, has_media=bool(media_ids))

    parent = None
    if in_reply_to_id is not None:
        parent = selectors.status_get_for_viewer(viewer=author, status_id=in_reply_to_id)
        if parent.is_reblog:
            raise errors.Invalid({"in_reply_to_id": [_("cannot reply to a reblog")]})

    with transaction.atomic():
        status = Status(
            account=author,
            visibility=visibility,
            spoiler_text=spoiler_text,
            sensitive=sensitive or bool(spoiler_text),
            language=language,
            in_reply_to=parent,
            in_reply_to_account_id=parent.account_id if parent else None,
            application_name=application_name[:255],
        )
        rendered = _apply_text(status, text=text)
        status.full_clean(exclude=["account", "in_reply_to", "in_reply_to_account", "reblog_of"])
        status.save()
        if media_ids:
            media_services.media_attach(account=author, media_ids=media_ids, status_id=status.pk)
        mentioned = _sync_mentions_and_tags(status, rendered)
        if parent is not None:
            Status.objects.filter(pk=parent.pk).update(replies_count=F("replies_count") + 1)
        User.objects.filter(pk=author.pk).update(
            statuses_count=F("statuses_count") + 1, last_status_at=timezone.now()
        )
        notifications_create(
            recipient_ids=[account.pk for account in mentioned],
            actor=author,
            type=Notification.Type.MENTION,
            status=status,
        )
        if visibility in (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE):
            # Followers who asked to be told (Mastodon's ``notify``), in one query however many.
            notifications_create(
                recipient_ids=Follow.objects.filter(target=author, notify=True).values(
                    "account_id"
                ),
                actor=author,
                type=Notification.Type.STATUS,
                status=status,
            )
        events.publish(
            events.ContentPublished(
                content_type="status", content_id=status.pk, author_id=author.pk
            )
        )
    return status


def status_edit(
    *,
    status: Status,
    editor,
    text: str,
    spoiler_text: str | None = None,
    sensitive: bool | None = None,
    language: str | None = None,
    media_ids: list | None = None,
) -> Status:
    """Edit one's own status, keeping the previous revision. Raises NotFound for others' statuses.

    ``media_ids`` (when given) is the status's new list of attachments: kept ones
    may be reordered, new ones must be the editor's processed, unattached media,
    left-out ones are detached (:func:`apps.media.services.media_attach`).
    """
    if status.account_id != editor.pk or status.is_reblog:
        raise errors.NotFound(_("Record not found"))
    spoiler = status.spoiler_text if spoiler_text is None else spoiler_text
    has_media = (
        bool(media_ids)
        if media_ids is not None
        else selectors.statuses_with_media().filter(status_id=status.pk).exists()
    )
    _validate_text(author=editor, text=text, spoiler_text=spoiler, has_media=has_media)
    if language is not None:
        language = _checked_language(language)
    with transaction.atomic():
        if not status.edits.exists():
            StatusEdit.objects.create(
                status=status, text=status.text, content=status.content,
                spoiler_text=status.spoiler_text, sensitive=status.sensitive,
                created_at=status.created_at,
            )  # fmt: skip
        rendered = _apply_text(status, text=text)
        status.spoiler_text = spoiler
        if sensitive is not None:
            status.sensitive = sensitive
        if language is not None:
            status.language = language
        status.edited_at = timezone.now()
        status.save()
        if media_ids is not None:
            media_services.media_attach(
                account=editor, media_ids=media_ids, status_id=status.pk, replace=True
            )
        StatusEdit.objects.create(
            status=status, text=status.text, content=status.content,
            spoiler_text=status.spoiler_text, sensitive=status.sensitive,
        )  # fmt: skip
        mentioned = _sync_mentions_and_tags(status, rendered)
        notifications_create(
            recipient_ids=[account.pk for account in mentioned],
            actor=editor,
            type=Notification.Type.MENTION,
            status=status,
        )
        notifications_create(
            recipient_ids=Status.objects.filter(reblog_of=status).values("account_id"),
            actor=editor,
            type=Notification.Type.UPDATE,
            status=status,
        )
        events.publish(
            events.ContentUpdated(content_type="status", content_id=status.pk, author_id=editor.pk)
        )
    return status


def status_delete(*, status: Status, actor) -> Status:
    """Delete one's own status (its reblogs go with it). Returns it, with the source, for redraft."""
    if status.account_id != actor.pk:
        raise errors.NotFound(_("Record not found"))
    with transaction.atomic():
        if status.in_reply_to_id:
            Status.objects.filter(pk=status.in_reply_to_id, replies_count__gt=0).update(
                replies_count=F("replies_count") - 1
            )
        if status.reblog_of_id:
            Status.objects.filter(pk=status.reblog_of_id, reblogs_count__gt=0).update(
                reblogs_count=F("reblogs_count") - 1
            )
        else:
            User.objects.filter(pk=actor.pk, statuses_count__gt=0).update(
                statuses_count=F("statuses_count") - 1
            )
        snapshot_id = status.pk
        streaming.status_delete_broadcast_on_commit(status=status)
        status.delete()
        status.pk = snapshot_id
        events.publish(
            events.ContentDeleted(content_type="status", content_id=snapshot_id, author_id=actor.pk)
        )
    return status


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
    """Reblog a visible public or unlisted status (once). Returns the reblog."""
    if status.is_reblog:
        status = status.reblog_of
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
    original = status.reblog_of if status.is_reblog else status
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


def status_moderate(*, status_id: int, state: str, reason: str = "") -> None:
    """Apply a moderation decision (from ``ContentActioned``): visible, hidden or removed."""
    Status.objects.filter(pk=status_id).update(
        moderation_state=state, moderation_reason=reason[:500]
    )
    if state == "removed":
        Notification.objects.filter(status_id=status_id).delete()


# Relationships -------------------------------------------------------------


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
        block, _created = Block.objects.get_or_create(account=account, target=target)
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


# Notifications -------------------------------------------------------------


def _notifiable(*, recipient_ids, actor) -> QuerySet:
    """The accounts among ``recipient_ids`` that ``actor`` may notify, in pk order.

    Not ``actor`` itself, nor anyone who blocks or is blocked by ``actor``, nor anyone
    muting ``actor``'s notifications (a mute whose time ran out no longer counts).
    ``recipient_ids`` may be a list or a ``values()`` queryset (then a subquery).
    """
    blocks = Block.objects.filter(
        Q(account=OuterRef("pk"), target=actor) | Q(account=actor, target=OuterRef("pk"))
    )
    mutes = Mute.objects.filter(
        account=OuterRef("pk"), target=actor, hide_notifications=True
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    return (
        User.objects.filter(pk__in=recipient_ids)
        .exclude(pk=actor.pk)
        .exclude(Exists(blocks))
        .exclude(Exists(mutes))
        .order_by("pk")
    )


def notifications_create(
    *, recipient_ids, actor, type: str, status: Status | None = None
) -> list[Notification]:
    """Notify each of ``recipient_ids`` that :func:`_notifiable` lets ``actor`` reach.

    Two queries whatever the number of recipients: one choosing them, one inserting
    the notifications; each is streamed to its recipient after commit.
    """
    if isinstance(recipient_ids, list) and not recipient_ids:
        return []
    accounts = _notifiable(recipient_ids=recipient_ids, actor=actor).values_list("pk", flat=True)
    notifications = Notification.objects.bulk_create(
        [
            Notification(account_id=account_id, from_account=actor, type=type, status=status)
            for account_id in accounts
        ]
    )
    for notification in notifications:
        streaming.notification_broadcast_on_commit(notification=notification)
    return notifications


def notification_create(
    *, recipient, actor, type: str, status: Status | None = None
) -> Notification | None:
    """Notify ``recipient`` unless it is themselves, blocks or is blocked by ``actor``,
    or mutes ``actor``'s notifications (:func:`notifications_create`)."""
    created = notifications_create(
        recipient_ids=[recipient.pk], actor=actor, type=type, status=status
    )
    return created[0] if created else None


def notification_dismiss(*, account, notification_id: int) -> None:
    deleted, _by_model = Notification.objects.filter(account=account, pk=notification_id).delete()
    if not deleted:
        raise errors.NotFound(_("Record not found"))


def notifications_clear(*, account) -> None:
    Notification.objects.filter(account=account).delete()


def status_mark_sensitive(*, status_id: int) -> None:
    Status.objects.filter(pk=status_id).update(sensitive=True)


# Markers -------------------------------------------------------------------


@transaction.atomic
def markers_save(*, account, positions: dict[str, int]) -> list[Marker]:
    """Records where ``account`` stopped reading each timeline of ``positions``
    (timeline -> last read id), counting each update in the marker's version."""
    saved = []
    for timeline, last_read_id in positions.items():
        marker, created = Marker.objects.select_for_update().get_or_create(
            account=account, timeline=timeline, defaults={"last_read_id": last_read_id}
        )
        if not created:
            marker.last_read_id = last_read_id
            marker.version += 1
            marker.save(update_fields=["last_read_id", "version", "updated_at"])
        saved.append(marker)
    return saved
