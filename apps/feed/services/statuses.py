"""Writes of statuses: publishing, editing, deleting, and moderation's decisions on them.

Each runs in a transaction and emits ``core.events``; refusals raise ``core.errors``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.feed import selectors, streaming
from apps.feed import text as text_rendering
from apps.feed.languages import normalise_language
from apps.feed.models import Follow, Mention, Notification, Status, StatusEdit, Tag, Visibility
from apps.feed.services import conversations, quotes
from apps.feed.services.notification_policies import notification_requests_forget_status
from apps.feed.services.notifications import notifications_create
from apps.feed.services.polls import (
    PollParams,
    poll_create,
    poll_options_of,
    poll_params_validate,
    poll_replace,
)
from apps.media import services as media_services
from apps.media.selectors import statuses_with_media
from core import checks, errors, events, idempotency
from core.entitlements import entitlements_for


def status_text_validate(*, author, text: str, spoiler_text: str, has_media: bool = False) -> None:
    """Refuse (Invalid) text over the author's plan's length, or blank without media, and
    (Unprocessable ``text_refused``, with the checker's reason) text a ``core.checks``
    checker blocks, such as a link to a blocklisted or look-alike domain.

    Checked when a status is published, edited or scheduled: the author learns why at
    once, rather than from moderation after the status went out.
    """
    limit = entitlements_for(author).max_status_characters
    length = len(text) + len(spoiler_text)
    if length > limit:
        raise errors.Invalid(
            {"text": [_("is too long (maximum is %(limit)d characters)") % {"limit": limit}]}
        )
    if not text.strip() and not has_media:
        raise errors.Invalid({"text": [_("can't be blank")]})
    for result in checks.check_text("\n".join(part for part in (spoiler_text, text) if part)):
        if result.is_blocking:
            raise errors.Unprocessable(
                result.reason or _("This status cannot be published."), code="text_refused"
            )


def members_only_validate(*, visibility: str, members_only: bool) -> None:
    """A members-only status is for the author's members: not a direct message to some
    accounts. Raises Invalid (422, on ``agora_members_only``)."""
    if members_only and visibility == Visibility.DIRECT:
        raise errors.Invalid(
            {"agora_members_only": [_("cannot be combined with direct visibility")]}
        )


def _accounts_named(lowered: set[str] | list[str]) -> dict[str, User]:
    """Accounts able to act whose usernames match ``lowered`` (case-insensitively), in one query.

    A suspended or disabled account is not mentioned (nor notified), as Mastodon skips an
    unavailable account when it processes mentions."""
    if not lowered:
        return {}
    match = Q(*[Q(username__iexact=name) for name in lowered], _connector=Q.OR)
    return {
        account.username.lower(): account for account in User.objects.able_to_act().filter(match)
    }


def _apply_text(status: Status, *, text: str) -> tuple[text_rendering.RenderedText, list[User]]:
    """Set ``status``'s text and its HTML; return the rendering and the accounts it mentions
    (those able to act, looked up once for both)."""
    named = _accounts_named(text_rendering.mentioned_usernames(text))
    rendered = text_rendering.render(text, known_usernames=set(named))
    status.text = text
    status.content = rendered.html
    return rendered, [named[name] for name in rendered.mentions if name in named]


def _sync_mentions_and_tags(
    status: Status, rendered: text_rendering.RenderedText, accounts: list[User], *, new: bool
) -> list[User]:
    """Make the status's mentions and tags match ``rendered`` and ``accounts`` (those it
    mentions); return the newly mentioned accounts. A ``new`` status has none to compare."""
    tags = [_tag_for(name) for name in rendered.tags]
    if new:
        Mention.objects.bulk_create([Mention(status=status, account=a) for a in accounts])
        status.tags.add(*tags)
        return accounts
    existing = set(status.mentions.values_list("account_id", flat=True))
    wanted = {a.pk for a in accounts}
    Mention.objects.filter(status=status).exclude(account_id__in=wanted).delete()
    Mention.objects.bulk_create(
        [Mention(status=status, account=a) for a in accounts if a.pk not in existing],
        ignore_conflicts=True,
    )
    status.tags.set(tags)
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
    poll: PollParams | None = None,
    quoted_status_id: int | None = None,
    quote_approval_policy: str | None = None,
    members_only: bool = False,
) -> Status:
    """Publish a status (or a reply), with up to four of the author's media attachments or a poll.

    ``media_ids`` must be the author's own, processed and not yet attached
    (:func:`apps.media.services.media_attach`). A status needs text or media.
    With ``idempotency_key`` a repeated request within an hour returns the first
    status (:func:`core.idempotency.create_once`). With ``quoted_status_id`` it quotes that
    status (:mod:`apps.feed.services.quotes`); ``quote_approval_policy`` is who may quote it.
    With ``members_only`` only the author and the author's paying members see it
    (``Status.objects.visible_to``); not with ``direct`` visibility.
    Raises Invalid, Unprocessable (media), NotFound (invisible parent, unquotable status).
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
            poll=poll,
            quoted_status_id=quoted_status_id,
            quote_approval_policy=quote_approval_policy,
            members_only=members_only,
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
    poll: PollParams | None = None,
    quoted_status_id: int | None = None,
    quote_approval_policy: str | None = None,
    members_only: bool = False,
) -> Status:
    """Validate and store a new status with its poll, quote, mentions, tags, notifications
    and event."""
    if visibility not in Visibility.values:
        raise errors.Invalid({"visibility": [_("is not a valid visibility")]})
    members_only_validate(visibility=visibility, members_only=members_only)
    language = _checked_language(language) or _posting_language(author)
    status_text_validate(
        author=author, text=text, spoiler_text=spoiler_text, has_media=bool(media_ids)
    )
    if poll is not None:
        poll_params_validate(poll=poll, has_media=bool(media_ids))

    policy = quotes.quote_policy_value(
        choice=quote_approval_policy,
        visibility=visibility,
        author=author,
        members_only=members_only,
    )
    quoted = None
    if quoted_status_id is not None:
        quoted = quotes.quoted_status_for(quoter=author, quoted_status_id=quoted_status_id)

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
            quote_approval_policy=policy,
            members_only=members_only,
        )
        rendered, mentioned = _apply_text(status, text=text)
        status.full_clean(exclude=["account", "in_reply_to", "in_reply_to_account", "reblog_of"])
        status.save()
        if media_ids:
            media_services.media_attach(account=author, media_ids=media_ids, status_id=status.pk)
        if poll is not None:
            poll_create(status=status, poll=poll)
        if quoted is not None:
            quotes.quote_create(status=status, quoted=quoted)
        _sync_mentions_and_tags(status, rendered, mentioned, new=True)
        conversations.conversation_status_published(status=status, parent=parent)
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
            # Followers who asked to be told (Mastodon's ``notify``), in one query however
            # many; read first, as most posts have none, and then nothing more is built.
            notifications_create(
                recipient_ids=list(
                    Follow.objects.filter(target=author, notify=True).values_list(
                        "account_id", flat=True
                    )
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
    poll: PollParams | None = None,
    poll_given: bool = False,
    quote_approval_policy: str | None = None,
) -> Status:
    """Edit one's own status, keeping the previous revision. Raises NotFound for others' statuses.

    With ``poll_given``, ``poll`` becomes the status's poll (None removes it), as
    Mastodon's edit: changed options reset the votes (:func:`poll_replace`).

    ``media_ids`` (when given) is the status's new list of attachments: kept ones
    may be reordered, new ones must be the editor's processed, unattached media,
    left-out ones are detached (:func:`apps.media.services.media_attach`).

    ``quote_approval_policy``, when given, becomes who may quote it; those who quoted it
    are told of the edit (Mastodon's ``quoted_update``).
    """
    if status.account_id != editor.pk or status.is_reblog:
        raise errors.NotFound(_("Record not found"))
    spoiler = status.spoiler_text if spoiler_text is None else spoiler_text
    has_media = (
        bool(media_ids)
        if media_ids is not None
        else statuses_with_media().filter(status_id=status.pk).exists()
    )
    status_text_validate(author=editor, text=text, spoiler_text=spoiler, has_media=has_media)
    if poll_given and poll is not None:
        poll_params_validate(poll=poll, has_media=has_media)
    if language is not None:
        language = _checked_language(language)
    policy = (
        quotes.quote_policy_value(
            choice=quote_approval_policy,
            visibility=status.visibility,
            members_only=status.members_only,
        )
        if quote_approval_policy is not None
        else status.quote_approval_policy
    )
    with transaction.atomic():
        if not status.edits.exists():
            StatusEdit.objects.create(
                status=status, text=status.text, content=status.content,
                spoiler_text=status.spoiler_text, sensitive=status.sensitive,
                created_at=status.created_at, poll_options=poll_options_of(status),
            )  # fmt: skip
        rendered, mentions = _apply_text(status, text=text)
        status.spoiler_text = spoiler
        if sensitive is not None:
            status.sensitive = sensitive
        if language is not None:
            status.language = language
        status.edited_at = timezone.now()
        status.quote_approval_policy = policy
        status.save()
        if media_ids is not None:
            media_services.media_attach(
                account=editor, media_ids=media_ids, status_id=status.pk, replace=True
            )
        if poll_given:
            poll_replace(status=status, poll=poll)
        StatusEdit.objects.create(
            status=status, text=status.text, content=status.content,
            spoiler_text=status.spoiler_text, sensitive=status.sensitive,
            poll_options=poll_options_of(status),
        )  # fmt: skip
        mentioned = _sync_mentions_and_tags(status, rendered, mentions, new=False)
        conversations.conversation_status_edited(status=status)
        notifications_create(
            recipient_ids=[account.pk for account in mentioned],
            actor=editor,
            type=Notification.Type.MENTION,
            status=status,
        )
        notifications_create(
            recipient_ids=list(
                Status.objects.filter(reblog_of=status).values_list("account_id", flat=True)
            ),
            actor=editor,
            type=Notification.Type.UPDATE,
            status=status,
        )
        quotes.quoted_update_notify(status=status, editor=editor)
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
        quotes.quote_removed(status=status)
        conversations.conversation_status_removed(status=status)
        notification_requests_forget_status(status_id=status.pk)
        streaming.status_delete_broadcast_on_commit(status=status)
        status.delete()
        status.pk = snapshot_id
        events.publish(
            events.ContentDeleted(content_type="status", content_id=snapshot_id, author_id=actor.pk)
        )
    return status


def status_moderate(*, status_id: int, state: str, reason: str = "") -> None:
    """Apply a moderation decision (from ``ContentActioned``): visible, hidden or removed."""
    Status.objects.filter(pk=status_id).update(
        moderation_state=state, moderation_reason=reason[:500]
    )
    if state == "removed":
        with transaction.atomic():
            notification_requests_forget_status(status_id=status_id)
            Notification.objects.filter(status_id=status_id).delete()


def status_mark_sensitive(*, status_id: int) -> None:
    Status.objects.filter(pk=status_id).update(sensitive=True)


EXTENSION_NAME_MAX_LENGTH = 32


def status_extension_set(*, status_id: int, name: str, value) -> bool:
    """Set the extension ``name`` of a status to the JSON ``value`` (None removes it).

    For apps above the feed, which the feed does not know: the value is shown as it is
    under the Status entity's ``agora`` attribute (``agora.<name>``) and the feed never
    reads it. ``members_only`` is the feed's own and cannot be set. The row is locked,
    so two apps setting different names at once both keep theirs; saving it changes
    the cached entity's key. Returns whether the status exists (and was changed).
    """
    if not name or len(name) > EXTENSION_NAME_MAX_LENGTH or name == "members_only":
        raise ValueError(f"not an extension name: {name!r}")
    with transaction.atomic():
        status = Status.objects.select_for_update().filter(pk=status_id).first()
        if status is None:
            return False
        extensions = dict(status.extensions or {})
        if value is None:
            extensions.pop(name, None)
        else:
            extensions[name] = value
        if extensions == status.extensions:
            return True
        status.extensions = extensions
        status.save(update_fields=["extensions", "updated_at"])
    return True
