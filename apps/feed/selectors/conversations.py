"""Reads of direct conversations: a viewer's page of them, one of them, one for the stream.

A conversation is shown only while its last status is one ``visible_to`` lets the viewer
see (one rule for who sees a status): a last status hidden by moderation, by a block or by
its author's standing hides the conversation rather than leaking it. Its ``accounts`` are
the other participants able to act (the viewer alone when there is none, as Mastodon).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.feed.models import AccountConversation, Status
from apps.feed.selectors.statuses import ViewerState, viewer_state, with_relations
from core import errors
from core.pagination import PageParams, paginate_queryset


@dataclass
class ConversationView:
    """An AccountConversation with what its entity shows, loaded for one viewer."""

    row: AccountConversation
    accounts: list
    last_status: Status

    @property
    def id(self) -> int:
        return self.row.pk

    @property
    def last_status_id(self) -> int:  # the page's cursor, as Mastodon's
        return self.last_status.pk


def _visible_rows(viewer):
    return AccountConversation.objects.filter(
        account=viewer, last_status__in=Status.objects.visible_to(viewer).values("pk")
    )


def _loaded(viewer, rows: list[AccountConversation]) -> tuple[list[ConversationView], ViewerState]:
    """``rows`` with their last statuses and participants: a fixed number of queries."""
    status_ids = [row.last_status_id for row in rows]
    statuses = {
        status.pk: status
        for status in with_relations(Status.objects.visible_to(viewer)).filter(pk__in=status_ids)
    }
    wanted = {participant for row in rows for participant in row.participant_ids}
    participants = {
        account.pk: account for account in User.objects.able_to_act().filter(pk__in=wanted)
    }
    views = []
    for row in rows:
        status = statuses.get(row.last_status_id)
        if status is None:  # became invisible between the two reads
            continue
        accounts = [participants[pk] for pk in row.participant_ids if pk in participants]
        views.append(ConversationView(row=row, accounts=accounts or [viewer], last_status=status))
    return views, viewer_state(viewer=viewer, statuses=[view.last_status for view in views])


def conversations_page(*, viewer, params: PageParams) -> tuple[list[ConversationView], ViewerState]:
    """The viewer's conversations, newest last status first, paged by last status id
    (Mastodon's cursor for ``GET /api/v1/conversations``), with the viewer's flags."""
    rows = paginate_queryset(_visible_rows(viewer), params, key="last_status_id")
    return _loaded(viewer, rows)


def conversation_get_for_viewer(
    *, viewer, account_conversation_id: int
) -> tuple[ConversationView, ViewerState]:
    """One of the viewer's conversations; NotFound for anyone else's or a hidden one."""
    rows = list(_visible_rows(viewer).filter(pk=account_conversation_id))
    views, state = _loaded(viewer, rows)
    if not views:
        raise errors.NotFound(_("Record not found"))
    return views[0], state


def account_conversation_for_stream(
    *, viewer, account_conversation_id: int
) -> tuple[ConversationView, ViewerState] | None:
    """The conversation a ``direct`` stream message names, for ``viewer``; None when it is not
    theirs, is gone, or its last status is not one they may see."""
    try:
        return conversation_get_for_viewer(
            viewer=viewer, account_conversation_id=account_conversation_id
        )
    except errors.NotFound:
        return None
