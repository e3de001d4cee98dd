"""Writes of threads: direct conversations (Mastodon's AccountConversation) and thread mutes.

A status belongs to a thread (``Status.conversation``, Mastodon's Conversation): a reply
inherits its parent's; a top-level status gets one lazily, when a direct message starts it,
someone replies to it or someone mutes it (:func:`conversation_for`).

A direct status reaches its author (read) and each mentioned account that
:func:`~apps.feed.services.notifications.notifications_create` would tell of it (unread),
as Mastodon's NotifyService pushes a direct mention to the recipient's conversations: not
one who blocks or is blocked by the author, mutes the author's notifications or muted the
thread. Each of them holds one AccountConversation per thread and set of other participants;
editing a direct status adds it to the newly mentioned and takes it from those no longer
mentioned, deleting it takes it from every row (the last status moves back, an emptied
row goes), as Mastodon's ``AccountConversation.add_status`` and ``remove_status``. Every
saved row is streamed to its account's ``direct`` stream after commit.

Each write touches a fixed number of queries however many participants the thread has;
the thread's row is locked first so that two posts to one thread do not race.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed import streaming
from apps.feed.models import (
    AccountConversation,
    Conversation,
    ConversationMute,
    Mention,
    Status,
    Visibility,
)
from apps.feed.services.notifications import notifiable_account_ids
from core import errors


def conversation_for(status: Status) -> int:
    """The id of ``status``'s thread, giving the status one first if it has none.

    A reblog's thread is its original's. Run inside a transaction.
    """
    if status.reblog_of_id is not None and status.reblog_of is not None:
        status = status.reblog_of
    if status.conversation_id is not None:
        return status.conversation_id
    conversation = Conversation.objects.create()
    claimed = Status.objects.filter(pk=status.pk, conversation__isnull=True).update(
        conversation=conversation
    )
    if claimed:
        status.conversation_id = conversation.pk
    else:  # given one meanwhile by a concurrent reply or mute
        conversation.delete()
        status.conversation_id = (
            Status.objects.filter(pk=status.pk).values_list("conversation_id", flat=True).get()
        )
    return status.conversation_id


def conversation_status_published(*, status: Status, parent: Status | None) -> None:
    """Put a new status in its thread and, when direct, in its participants' conversations.

    Call in the transaction that publishes ``status``, once its mentions are stored and
    before its notifications are created (so a muted thread mutes them).
    """
    if parent is None and status.visibility != Visibility.DIRECT:
        return  # a top-level public post needs no thread until someone replies or mutes
    thread = conversation_for(parent) if parent is not None else Conversation.objects.create().pk
    Status.objects.filter(pk=status.pk).update(conversation_id=thread)
    status.conversation_id = thread
    if status.visibility != Visibility.DIRECT:
        return
    mentioned = _mentioned_ids(status)
    recipients = notifiable_account_ids(
        recipient_ids=mentioned, actor=status.account, status=status
    )
    _add(status, thread, account_ids=[status.account_id, *recipients], mentioned_ids=mentioned)


def conversation_status_edited(*, status: Status) -> None:
    """Follow an edit of a direct status: newly mentioned accounts get it (unread), accounts
    no longer mentioned lose it. Call in the edit's transaction, once mentions are synced and
    before the new mentions are notified."""
    thread = status.conversation_id
    if status.visibility != Visibility.DIRECT or thread is None:
        return
    mentioned = _mentioned_ids(status)
    holders = _rows_holding(status, thread)
    participants = {status.account_id, *mentioned}
    _remove(status, rows=[row for row in holders if row.account_id not in participants])
    holding = {row.account_id for row in holders}
    newcomers = [account_id for account_id in mentioned if account_id not in holding]
    if newcomers:
        recipients = notifiable_account_ids(
            recipient_ids=newcomers, actor=status.account, status=status
        )
        _add(status, thread, account_ids=recipients, mentioned_ids=mentioned)


def conversation_statuses_delivered(*, account_id: int, statuses: Iterable[Status]) -> None:
    """Add direct ``statuses`` to ``account_id``'s conversations (unread), as if they had just
    reached it: the direct mentions its notification policy held back, once it accepts
    their sender. Call in a transaction; a few queries per status."""
    for status in statuses:
        if status.visibility != Visibility.DIRECT or status.conversation_id is None:
            continue
        _add(
            status,
            status.conversation_id,
            account_ids=[account_id],
            mentioned_ids=_mentioned_ids(status),
        )


def conversation_status_removed(*, status: Status) -> None:
    """Take a direct status out of every conversation holding it (before it is deleted).

    Call in the deletion's transaction, before the row goes.
    """
    thread = status.conversation_id
    if status.visibility != Visibility.DIRECT or thread is None:
        return
    _remove(status, rows=_rows_holding(status, thread))


def conversation_read(*, account, account_conversation_id: int) -> AccountConversation:
    """Mark one of ``account``'s conversations read. Raises NotFound for anyone else's."""
    with transaction.atomic():
        row = _own_row(account=account, account_conversation_id=account_conversation_id)
        if row.unread:
            row.unread = False
            row.save(update_fields=["unread", "updated_at"])
            streaming.conversations_broadcast_on_commit(account_conversations=[row])
    return row


def conversation_remove(*, account, account_conversation_id: int) -> None:
    """Remove one of ``account``'s conversations, for them only (the statuses stay).

    Raises NotFound for anyone else's. A later direct status in the thread brings it back.
    """
    with transaction.atomic():
        _own_row(account=account, account_conversation_id=account_conversation_id).delete()


def status_mute(*, status: Status, account) -> Status:
    """Mute ``status``'s thread for ``account``: no more notifications from it.

    The caller has checked ``account`` may see the status (Mastodon's ``show?``). Idempotent.
    """
    with transaction.atomic():
        thread = conversation_for(status)
        ConversationMute.objects.get_or_create(account=account, conversation_id=thread)
    return status


def status_unmute(*, status: Status, account) -> Status:
    """Unmute ``status``'s thread for ``account``. Idempotent."""
    original = status.reblog_of if status.reblog_of_id is not None else status
    if original is not None and original.conversation_id is not None:
        ConversationMute.objects.filter(
            account=account, conversation_id=original.conversation_id
        ).delete()
    return status


# Helpers -------------------------------------------------------------------


def _own_row(*, account, account_conversation_id: int) -> AccountConversation:
    row = (
        AccountConversation.objects.select_for_update()
        .filter(pk=account_conversation_id, account=account)
        .first()
    )
    if row is None:
        raise errors.NotFound(_("Record not found"))
    return row


def _mentioned_ids(status: Status) -> list[int]:
    return sorted(Mention.objects.filter(status=status).values_list("account_id", flat=True))


def _lock_thread(thread: int) -> None:
    Conversation.objects.select_for_update().filter(pk=thread).first()


def _rows_holding(status: Status, thread: int) -> list[AccountConversation]:
    """The conversations of ``thread`` that hold ``status`` (the thread's row locked first)."""
    _lock_thread(thread)
    rows = AccountConversation.objects.filter(conversation_id=thread)
    return [row for row in rows if status.pk in row.status_ids]


def _add(
    status: Status, thread: int, *, account_ids: Iterable[int], mentioned_ids: list[int]
) -> None:
    """Add ``status`` to each account's conversation in ``thread`` with the status's other
    participants."""
    account_ids = list(dict.fromkeys(account_ids))
    if not account_ids:
        return
    _lock_thread(thread)
    everyone = sorted({status.account_id, *mentioned_ids})
    existing = {
        (row.account_id, row.participants_key): row
        for row in AccountConversation.objects.filter(
            conversation_id=thread, account_id__in=account_ids
        )
    }
    now = timezone.now()
    created, updated = [], []
    for account_id in account_ids:
        others = [participant for participant in everyone if participant != account_id]
        key = ",".join(str(participant) for participant in others)
        row = existing.get((account_id, key))
        if row is None:
            row = AccountConversation(
                account_id=account_id,
                conversation_id=thread,
                participant_ids=others,
                participants_key=key,
                status_ids=[],
            )
            created.append(row)
        elif status.pk in row.status_ids:
            continue
        else:
            updated.append(row)
        row.status_ids = sorted([*row.status_ids, status.pk])
        row.last_status_id = row.status_ids[-1]
        row.unread = account_id != status.account_id
        row.updated_at = now
    AccountConversation.objects.bulk_create(created)
    AccountConversation.objects.bulk_update(
        updated, ["status_ids", "last_status", "unread", "updated_at"]
    )
    streaming.conversations_broadcast_on_commit(account_conversations=[*created, *updated])


def _remove(status: Status, *, rows: list[AccountConversation]) -> None:
    """Take ``status`` out of ``rows``: the last status moves back; an emptied row is deleted."""
    emptied, kept = [], []
    now = timezone.now()
    for row in rows:
        row.status_ids = [status_id for status_id in row.status_ids if status_id != status.pk]
        if not row.status_ids:
            emptied.append(row.pk)
            continue
        row.last_status_id = row.status_ids[-1]
        row.updated_at = now
        kept.append(row)
    if emptied:
        AccountConversation.objects.filter(pk__in=emptied).delete()
    if kept:
        AccountConversation.objects.bulk_update(kept, ["status_ids", "last_status", "updated_at"])
        streaming.conversations_broadcast_on_commit(account_conversations=kept)
