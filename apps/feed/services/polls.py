"""Writes of polls (Mastodon's Poll, PollVote): creating one with its status, voting,
replacing one when its status is edited, and notifying its end.

As Mastodon's PollValidator, a poll has 2 to :data:`MAX_OPTIONS` distinct options of
at most :data:`MAX_OPTION_CHARACTERS` characters, and ends :data:`MIN_EXPIRATION` to
:data:`MAX_EXPIRATION` seconds after it is published (the limits
``/api/v2/instance`` reports in ``configuration.polls``). As its VoteValidator, a
vote is refused on an ended poll, on one's own poll, for an option that does not
exist, and a second time. When a poll ends, its author and every voter get a
``poll`` notification, once: the ``feed.poll_expire`` task is sent for the end
time when the poll is created, and the periodic ``feed.polls_expire_due`` sweep
(migration ``feed.0007``) catches any the broker lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from celery import current_app
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed.models import Notification, Poll, PollVote, Status
from apps.feed.services.notifications import notifications_create, own_notification_create
from core import errors

logger = logging.getLogger(__name__)

MAX_OPTIONS = 4
MAX_OPTION_CHARACTERS = 50
MIN_EXPIRATION = 300  # seconds: five minutes
MAX_EXPIRATION = 2_629_746  # seconds: one month (Rails' 1.month)
EXPIRE_TASK = "feed.poll_expire"
SWEEP_BATCH = 500


@dataclass(frozen=True)
class PollParams:
    """A poll as a client asks for it (``poll[options][]``, ``poll[expires_in]``, ...)."""

    options: list[str]
    expires_in: int
    multiple: bool = False
    hide_totals: bool = False

    def as_params(self) -> dict:
        """The shape Mastodon keeps in a ScheduledStatus's ``params``."""
        return {
            "options": list(self.options),
            "expires_in": str(self.expires_in),
            "multiple": self.multiple,
            "hide_totals": self.hide_totals,
        }

    @classmethod
    def from_params(cls, params: dict) -> PollParams:
        return cls(
            options=[str(option) for option in params.get("options") or []],
            expires_in=int(params.get("expires_in") or 0),
            multiple=bool(params.get("multiple")),
            hide_totals=bool(params.get("hide_totals")),
        )


def _prepared(options: list[str]) -> list[str]:
    """The options stripped, blank ones dropped (Mastodon's ``Poll#prepare_options``)."""
    return [option.strip() for option in options if option.strip()]


def poll_params_validate(*, poll: PollParams, has_media: bool = False) -> None:
    """Refuse (Invalid, keyed ``poll``) a poll outside the limits, or one beside media."""
    if has_media:
        raise errors.Invalid({"poll": [_("cannot be combined with media attachments")]})
    problems = []
    options = _prepared(poll.options)
    if len(options) < 2:
        problems.append(_("options must have more than one item"))
    elif len(options) > MAX_OPTIONS:
        problems.append(_("options can't contain more than %(max)d items") % {"max": MAX_OPTIONS})
    if any(len(option) > MAX_OPTION_CHARACTERS for option in options):
        problems.append(
            _("options cannot be longer than %(max)d characters each")
            % {"max": MAX_OPTION_CHARACTERS}
        )
    if len(set(options)) != len(options):
        problems.append(_("options contain duplicate items"))
    if poll.expires_in < MIN_EXPIRATION:
        problems.append(_("expires_in is too soon"))
    elif poll.expires_in > MAX_EXPIRATION:
        problems.append(_("expires_in is too far into the future"))
    if problems:
        raise errors.Invalid({"poll": problems})


def _expire_on_commit(poll: Poll) -> None:
    """Send ``feed.poll_expire`` for the poll's end, once the transaction commits.

    ``core.queue.send_on_commit`` sends at once; this one carries an ETA. A broker
    that refuses is logged: the periodic sweep notifies the poll instead.
    """
    task = current_app.tasks[EXPIRE_TASK]
    poll_id, eta = poll.pk, poll.expires_at

    def send() -> None:
        task.apply_async(kwargs={"poll_id": poll_id}, eta=eta)

    transaction.on_commit(send, robust=True)


def poll_create(*, status: Status, poll: PollParams) -> Poll:
    """Attach ``poll`` (validated by :func:`poll_params_validate`) to a new ``status``.

    Runs inside the caller's transaction (the status's publication).
    """
    options = _prepared(poll.options)
    created = Poll(
        status=status,
        options=options,
        cached_tallies=[0] * len(options),
        expires_at=timezone.now() + dt.timedelta(seconds=poll.expires_in),
        multiple=poll.multiple,
        hide_totals=poll.hide_totals,
    )
    created.full_clean(exclude=["status"])
    created.save()
    _expire_on_commit(created)
    return created


def poll_replace(*, status: Status, poll: PollParams | None) -> Poll | None:
    """Make an edited status's poll ``poll`` (None removes it), as Mastodon's UpdateStatusService.

    Changed options or a changed ``multiple`` reset the votes; the end moves to
    ``expires_in`` from now, and a new end may be notified again. Runs inside the
    caller's transaction (the edit).
    """
    existing = Poll.objects.select_for_update().filter(status=status).first()
    if poll is None:
        if existing is not None:
            existing.delete()
        return None
    if existing is None:
        return poll_create(status=status, poll=poll)
    options = _prepared(poll.options)
    if options != existing.options or poll.multiple != existing.multiple:
        PollVote.objects.filter(poll=existing).delete()
        existing.cached_tallies = [0] * len(options)
        existing.votes_count = 0
        existing.voters_count = 0
    existing.options = options
    existing.multiple = poll.multiple
    existing.hide_totals = poll.hide_totals
    existing.expires_at = timezone.now() + dt.timedelta(seconds=poll.expires_in)
    existing.ended_notified_at = None
    existing.save()
    _expire_on_commit(existing)
    return existing


def poll_options_of(status: Status) -> list[str] | None:
    """The option titles of the status's poll, or None (for its edit history)."""
    return Poll.objects.filter(status=status).values_list("options", flat=True).first()


def _choices_checked(poll: Poll, choices: list) -> list[int]:
    """``choices`` as option indexes; Invalid unless they fit the poll (Mastodon's messages)."""
    indexes = []
    for choice in choices:
        try:
            index = int(str(choice).strip())
        except ValueError:
            index = -1
        if not 0 <= index < len(poll.options):
            raise errors.Invalid(_("The chosen vote option does not exist"))
        indexes.append(index)
    if not indexes:
        raise errors.Invalid({"choices": [_("can't be blank")]})
    if len(set(indexes)) != len(indexes) or (not poll.multiple and len(indexes) > 1):
        # What Mastodon answers when a second vote of the same request is refused.
        raise errors.Invalid(_("You have already voted on this poll"))
    return indexes


def poll_vote(*, poll: Poll, voter, choices: list) -> Poll:
    """Vote ``choices`` (option indexes, as ints or text) in ``poll``, which ``voter`` may see.

    Locks the poll's row, so concurrent votes all count and one account votes once.
    Raises Invalid: an ended poll, one's own poll, an option that does not exist,
    more than one choice in a single-choice poll, a repeated choice, a second vote.
    """
    with transaction.atomic():
        locked = (
            Poll.objects.select_for_update(of=("self",)).select_related("status").get(pk=poll.pk)
        )
        if locked.is_expired:
            raise errors.Invalid(_("The poll has already ended"))
        if locked.status.account_id == voter.pk:
            raise errors.Invalid(_("You cannot vote in your own polls"))
        indexes = _choices_checked(locked, choices)
        if PollVote.objects.filter(poll=locked, account=voter).exists():
            raise errors.Invalid(_("You have already voted on this poll"))
        PollVote.objects.bulk_create(
            [PollVote(poll=locked, account=voter, choice=index) for index in indexes]
        )
        tallies = list(locked.cached_tallies)
        for index in indexes:
            tallies[index] += 1
        locked.cached_tallies = tallies
        locked.votes_count += len(indexes)
        locked.voters_count += 1
        locked.save(update_fields=["cached_tallies", "votes_count", "voters_count", "updated_at"])
    return locked


def poll_expire(*, poll_id: int) -> bool:
    """Notify the end of the poll ``poll_id`` to its author and voters, once it has ended.

    True if this call notified. Safe to run early (nothing happens), twice or
    concurrently (the row is locked and marked): each account is notified once.
    Voters are notified as :func:`notifications_create` lets the author reach them.
    """
    with transaction.atomic():
        poll = (
            Poll.objects.select_for_update(of=("self",))
            .select_related("status__account")
            .filter(pk=poll_id, ended_notified_at__isnull=True, expires_at__lte=timezone.now())
            .first()
        )
        if poll is None:
            return False
        poll.ended_notified_at = timezone.now()
        poll.save(update_fields=["ended_notified_at", "updated_at"])
        status = poll.status
        author = status.account
        own_notification_create(account=author, type=Notification.Type.POLL, status=status)
        notifications_create(
            recipient_ids=PollVote.objects.filter(poll=poll).values("account_id"),
            actor=author,
            type=Notification.Type.POLL,
            status=status,
        )
    return True


def polls_expire_due(*, now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Notify up to ``batch`` polls that ended by ``now`` and were not notified; how many."""
    now = now or timezone.now()
    due = list(
        Poll.objects.filter(ended_notified_at__isnull=True, expires_at__lte=now)
        .order_by("expires_at", "id")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(1 for poll_id in due if poll_expire(poll_id=poll_id))
