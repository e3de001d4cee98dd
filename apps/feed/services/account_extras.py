"""Writes of what an account keeps about others beyond follows, blocks and mutes:
private notes, endorsements, removing a follower, domain blocks, dismissed suggestions."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from apps.feed.models import (
    ACCOUNT_NOTE_MAX_LENGTH,
    AccountDomainBlock,
    AccountNote,
    AccountPin,
    Follow,
    SuggestionDismissal,
)
from apps.feed.services.relationships import account_unfollow
from core import errors

# A host name as Mastodon's DomainValidator takes it: dot-separated labels.
_DOMAIN_RE = re.compile(r"(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*")


@transaction.atomic
def account_note_set(*, account, target, comment: str) -> None:
    """Set ``account``'s private note on ``target``; an empty comment removes it.

    Raises Invalid when the comment is longer than ``ACCOUNT_NOTE_MAX_LENGTH``.
    """
    if len(comment) > ACCOUNT_NOTE_MAX_LENGTH:
        raise errors.Invalid(
            {
                "comment": [
                    _("is too long (maximum is %(count)d characters)")
                    % {"count": ACCOUNT_NOTE_MAX_LENGTH}
                ]
            }
        )
    if not comment.strip():
        AccountNote.objects.filter(account=account, target=target).delete()
        return
    AccountNote.objects.update_or_create(
        account=account, target=target, defaults={"comment": comment}
    )


@transaction.atomic
def account_endorse(*, account, target) -> AccountPin:
    """Feature ``target`` on ``account``'s profile: only an account it follows, as Mastodon.

    Raises Invalid for oneself or an account not followed.
    """
    if account.pk == target.pk:
        raise errors.Invalid({"id": [_("you cannot endorse yourself")]})
    if not Follow.objects.filter(account=account, target=target).exists():
        raise errors.Invalid({"id": [_("you can only endorse accounts you follow")]})
    pin, _created = AccountPin.objects.get_or_create(account=account, target=target)
    return pin


def account_unendorse(*, account, target) -> None:
    AccountPin.objects.filter(account=account, target=target).delete()


@transaction.atomic
def account_remove_from_followers(*, account, follower) -> None:
    """``follower`` stops following ``account`` (and a pending request of it ends)."""
    account_unfollow(account=follower, target=account)


def domain_normalise(domain: str) -> str | None:
    """``domain`` lower-cased and without scheme or trailing dot; None when it is no host name."""
    value = (domain or "").strip().lower()
    value = re.sub(r"^[a-z]+://", "", value).rstrip("/").rstrip(".")
    return value if _DOMAIN_RE.fullmatch(value) else None


def _checked_domain(domain: str | None) -> str:
    if not (domain or "").strip():
        raise errors.Invalid({"domain": [_("can't be blank")]})
    normalised = domain_normalise(domain or "")
    if normalised is None:
        raise errors.Invalid({"domain": [_("is not a valid domain name")]})
    return normalised


@transaction.atomic
def domain_block_create(*, account, domain: str | None) -> AccountDomainBlock:
    """``account`` blocks ``domain`` (idempotent). Raises Invalid for a missing or bad domain."""
    block, _created = AccountDomainBlock.objects.get_or_create(
        account=account, domain=_checked_domain(domain)
    )
    return block


def domain_block_delete(*, account, domain: str | None) -> None:
    """``account`` unblocks ``domain``. Raises Invalid for a missing or bad domain."""
    AccountDomainBlock.objects.filter(account=account, domain=_checked_domain(domain)).delete()


def suggestion_dismiss(*, account, target) -> None:
    """``target`` is no longer suggested to ``account`` (idempotent)."""
    if account.pk != target.pk:
        SuggestionDismissal.objects.get_or_create(account=account, target=target)
