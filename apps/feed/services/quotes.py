"""Writes of quotes (Mastodon 4.5): quoting a status, revoking a quote, a status's quote policy.

Agora is one instance, so a quote is decided when it is made, as Mastodon decides a
local one: accepted when the quoted status's policy lets the quoter quote it (Mastodon's
``StatusPolicy#quote?``), refused otherwise with nothing written. Never pending.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from apps.feed import selectors, streaming
from apps.feed.models import Notification, Quote, QuotePolicy, Status, Visibility
from apps.feed.selectors.quotes import quote_of_status, quote_policy_for
from apps.feed.services.notifications import notifications_create
from core import errors

QUOTED_STATUS_NOT_FOUND = "The post you are trying to quote does not appear to exist."


def quote_policy_value(
    *, choice: str | None, visibility: str, author=None, members_only: bool = False
) -> int:
    """The stored ``quote_approval_policy`` of an API choice (``public``, ``followers``,
    ``nobody``; None is ``author``'s posting default, ``source[quote_policy]``). A private,
    direct or members-only status only its author may quote (Mastodon downgrades the policy
    to nobody). Raises Invalid for another choice."""
    choice = choice or getattr(author, "default_quote_policy", None) or "public"
    if choice not in QuotePolicy.CHOICES:
        raise errors.Invalid(
            {"quote_approval_policy": [_("must be one of public, followers or nobody")]}
        )
    if members_only or visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
        return 0
    return QuotePolicy.from_choice(choice)


def quoted_status_for(*, quoter, quoted_status_id) -> Status:
    """The status ``quoter`` may quote (a reblog's original), as Mastodon's ``quote?``.

    It must be visible to ``quoter``, not direct, public or unlisted and not members-only
    unless it is the quoter's own, and its policy must let ``quoter`` quote it. Raises NotFound with
    Mastodon's message otherwise (Mastodon does not tell the two apart).
    """
    try:
        status = selectors.status_get_for_viewer(viewer=quoter, status_id=quoted_status_id)
        if status.reblog_of_id is not None:
            status = selectors.status_get_for_viewer(viewer=quoter, status_id=status.reblog_of_id)
    except errors.NotFound:
        raise errors.NotFound(_(QUOTED_STATUS_NOT_FOUND)) from None
    own = status.account_id == quoter.pk
    shareable = (
        status.visibility in (Visibility.PUBLIC, Visibility.UNLISTED) and not status.members_only
    )
    if not (own or shareable) or quote_policy_for(viewer=quoter, status=status) != "automatic":
        raise errors.NotFound(_(QUOTED_STATUS_NOT_FOUND))
    return status


def quote_create(*, status: Status, quoted: Status) -> Quote:
    """Record that ``status`` quotes ``quoted`` (accepted) and notify the quoted author.

    Runs inside the publishing transaction; ``quoted`` comes from :func:`quoted_status_for`.
    """
    quote = Quote.objects.create(
        status=status,
        quoted_status=quoted,
        account_id=status.account_id,
        quoted_account_id=quoted.account_id,
        state=Quote.State.ACCEPTED,
    )
    Status.objects.filter(pk=quoted.pk).update(quotes_count=F("quotes_count") + 1)
    notifications_create(
        recipient_ids=[quoted.account_id],
        actor=status.account,
        type=Notification.Type.QUOTE,
        status=status,
    )
    return quote


def quoted_update_notify(*, status: Status, editor) -> None:
    """Tell the authors of the accepted quotes of ``status`` that it was edited
    (Mastodon's ``quoted_update``). Inside the edit's transaction."""
    notifications_create(
        recipient_ids=Quote.objects.filter(quoted_status=status, state=Quote.State.ACCEPTED).values(
            "account_id"
        ),
        actor=editor,
        type=Notification.Type.QUOTED_UPDATE,
        status=status,
    )


def quote_revoke(*, status: Status, quoting_status_id: int, actor) -> Quote:
    """The quoted author revokes the quote of ``status`` by ``quoting_status_id``: an accepted
    quote becomes ``revoked``, another ``rejected`` (Mastodon's ``reject!``).

    Raises NotFound unless ``actor`` wrote ``status`` and may see the quoting status.
    """
    if status.account_id != actor.pk:
        raise errors.NotFound(_("Record not found"))
    with transaction.atomic():
        quote = quote_of_status(viewer=actor, status=status, quoting_status_id=quoting_status_id)
        if quote is None:
            raise errors.NotFound(_("Record not found"))
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        if quote.state == Quote.State.ACCEPTED:
            quote.state = Quote.State.REVOKED
            _uncount(quote)
        elif quote.state != Quote.State.REVOKED:
            quote.state = Quote.State.REJECTED
        quote.save(update_fields=["state", "updated_at"])
        streaming.status_update_broadcast_on_commit(status=quote.status)
    return quote


def quote_removed(*, status: Status) -> None:
    """``status`` is being deleted: its accepted quote no longer counts for the quoted status.
    Inside the deletion's transaction, before the row goes."""
    quote = Quote.objects.filter(status=status, state=Quote.State.ACCEPTED).first()
    if quote is not None:
        _uncount(quote)


def _uncount(quote: Quote) -> None:
    if quote.quoted_status_id is not None:
        Status.objects.filter(pk=quote.quoted_status_id, quotes_count__gt=0).update(
            quotes_count=F("quotes_count") - 1
        )


def status_quote_policy_update(
    *, status: Status, actor, quote_approval_policy: str | None
) -> Status:
    """Change the quote policy of one's own status (Mastodon's interaction policy).

    Raises Forbidden for another's status, Invalid for an unknown policy.
    """
    if status.account_id != actor.pk or status.reblog_of_id is not None:
        raise errors.Forbidden(_("This action is not allowed"))
    value = quote_policy_value(choice=quote_approval_policy, visibility=status.visibility)
    with transaction.atomic():
        Status.objects.filter(pk=status.pk).update(quote_approval_policy=value)
        status.quote_approval_policy = value
        streaming.status_update_broadcast_on_commit(status=status)
    return status
