"""Reads of polls: one poll for a viewer, a page's polls, and the viewer's votes in them.

Who may see a poll is who may see its status (``Status.objects.visible_to``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from apps.feed.models import Poll, PollVote, Status
from core import errors
from core.ids import parse_id


def poll_get_for_viewer(*, viewer, poll_id) -> Poll:
    """The poll if ``viewer`` may see its status; NotFound otherwise."""
    poll_id = parse_id(poll_id)
    if poll_id is None:
        raise errors.NotFound(_("Record not found"))
    poll = (
        Poll.objects.filter(pk=poll_id, status__in=Status.objects.visible_to(viewer))
        .select_related("status")
        .first()
    )
    if poll is None:
        raise errors.NotFound(_("Record not found"))
    return poll


def prefetch_polls(statuses: Iterable[Status]) -> None:
    """Load the polls of ``statuses`` and of the originals they reblog, in one query each at most.

    Statuses whose poll is loaded already (``with_relations`` joins it) are skipped.
    """
    statuses = list(statuses)
    originals = [s.reblog_of for s in statuses if s.reblog_of_id is not None and s.reblog_of]
    pending = [s for s in [*statuses, *originals] if not Status.poll.is_cached(s)]
    if pending:
        prefetch_related_objects(pending, "poll")


def poll_of(status: Status) -> Poll | None:
    """The poll of ``status`` or None (loaded, or fetched now)."""
    if not Status.poll.is_cached(status):
        prefetch_polls([status])
    try:
        return status.poll
    except Poll.DoesNotExist:
        return None


def polls_voted(*, viewer, polls: Iterable[Poll]) -> dict[int, list[int]]:
    """Of ``polls``, those ``viewer`` counts as having voted in, with their choices.

    As Mastodon's ``Poll#voted?``, an author has voted in its own polls (with no
    choices). One query, none for an anonymous viewer or no polls.
    """
    polls = list(polls)
    if viewer is None or not viewer.is_authenticated or not polls:
        return {}
    voted: dict[int, list[int]] = {
        poll.pk: [] for poll in polls if poll.status.account_id == viewer.pk
    }
    votes = PollVote.objects.filter(account=viewer, poll__in=[poll.pk for poll in polls])
    for poll_id, choice in votes.order_by("poll_id", "choice").values_list("poll_id", "choice"):
        voted.setdefault(poll_id, []).append(choice)
    return voted
