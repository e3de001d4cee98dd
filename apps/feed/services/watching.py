"""Writes of watch time: a player's heartbeats for the video, gifv or audio of a status.

Creators are paid for the time others watch their media: each heartbeat that adds to
a viewer's total publishes :class:`core.events.WatchTimeRecorded` with the running
total of the day, which the billing app (above the feed) listens for.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed import selectors
from apps.feed.models import Status, StatusWatch
from core import errors, events

#: A viewer may watch a status's media this many times over in a day, and no more.
REWATCH_FACTOR = 3
#: How far past its arrival a heartbeat may count: network and timer jitter. Granted
#: once, not per heartbeat: counting resumes from where the last heartbeat's ended.
HEARTBEAT_SLACK = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class WatchRecorded:
    """What a heartbeat did: the day's total for the status and what it added."""

    seconds: int
    counted: int


def watch_daily_cap(durations: list[float | None]) -> int:
    """The most seconds one viewer is counted for a status in a day: its playable media's
    total duration times :data:`REWATCH_FACTOR`, or ``FEED_WATCH_UNKNOWN_DURATION_CAP_SECONDS``
    when a duration is unknown."""
    known = [duration for duration in durations if duration is not None]
    if not known or len(known) != len(durations):
        return settings.FEED_WATCH_UNKNOWN_DURATION_CAP_SECONDS
    return math.ceil(sum(known) * REWATCH_FACTOR)


def _heartbeat_counted(
    *, counted_until: dt.datetime | None, total: int, now: dt.datetime, seconds: int, cap: int
) -> tuple[int, dt.datetime]:
    """Seconds a heartbeat arriving at ``now`` and reporting ``seconds`` adds to ``total``,
    and the moment counting then reaches.

    The heartbeat stands for the ``seconds`` before ``now``, less what an earlier
    heartbeat already counted (up to ``counted_until``), plus at most
    :data:`HEARTBEAT_SLACK`; never more than ``cap`` in all. So the first heartbeat (or
    the first after a pause) adds what it reports, and heartbeats sent faster than time
    passes add no more than the time that passed.
    """
    start = now - dt.timedelta(seconds=seconds)
    if counted_until is not None and counted_until > start:
        start = counted_until
    allowed = math.floor((now + HEARTBEAT_SLACK - start).total_seconds())
    counted = max(0, min(seconds, allowed, cap - total))
    return counted, start + dt.timedelta(seconds=counted)


def _watch_locked(*, viewer, status: Status, day: dt.date) -> StatusWatch | None:
    """The viewer's row of ``status`` for ``day``, locked until the transaction ends."""
    return (
        StatusWatch.objects.select_for_update()
        .filter(viewer=viewer, status=status, day=day)
        .first()
    )


def status_watch_record(
    *, viewer, status: Status, seconds: int, now: dt.datetime | None = None
) -> WatchRecorded:
    """Count a heartbeat of ``viewer``, who watched ``seconds`` more of the media of
    ``status`` (a status ``viewer`` may see; a reblog counts for its original).

    Adds to the viewer's running total of the status for the UTC day of ``now``, as
    :func:`_heartbeat_counted` allows and within :func:`watch_daily_cap`, and publishes
    :class:`core.events.WatchTimeRecorded` with the new total when it grew. The
    author's own watching is not counted (nothing is stored or published). The
    viewer's row is locked, so concurrent heartbeats count once; a first insert that
    loses a race to another falls back to the row the other created.

    Raises Invalid when ``seconds`` is not 1..``FEED_WATCH_HEARTBEAT_MAX_SECONDS``, and
    Unprocessable when the status has no processed video, gifv or audio.
    """
    limit = settings.FEED_WATCH_HEARTBEAT_MAX_SECONDS
    if isinstance(seconds, bool) or not 1 <= seconds <= limit:
        raise errors.Invalid(
            {
                "seconds": [
                    _("must be a whole number of seconds from 1 to %(limit)d") % {"limit": limit}
                ]
            }
        )
    watched = status.reblog_of or status
    durations = selectors.status_playable_durations(status=watched)
    if not durations:
        raise errors.Unprocessable(_("This status has no processed video, gifv or audio to watch"))
    if watched.account_id == viewer.pk:
        return WatchRecorded(seconds=0, counted=0)
    now = now or timezone.now()
    day = now.astimezone(dt.UTC).date()
    cap = watch_daily_cap(durations)
    with transaction.atomic():
        watch = _watch_locked(viewer=viewer, status=watched, day=day)
        if watch is None:
            counted, counted_until = _heartbeat_counted(
                counted_until=None, total=0, now=now, seconds=seconds, cap=cap
            )
            watch = _watch_insert(
                viewer=viewer,
                status=watched,
                day=day,
                seconds=counted,
                now=now,
                counted_until=counted_until,
            )
            if watch is not None:
                _watch_published(watch=watch, creator_id=watched.account_id, counted=counted)
                return WatchRecorded(seconds=watch.seconds, counted=counted)
            # A concurrent first heartbeat inserted the row: count this one against it.
            watch = _watch_locked(viewer=viewer, status=watched, day=day)
            if watch is None:  # and it went (with its status or viewer) at once
                raise errors.NotFound(_("Record not found"))
        counted, watch.counted_until = _heartbeat_counted(
            counted_until=watch.counted_until,
            total=watch.seconds,
            now=now,
            seconds=seconds,
            cap=cap,
        )
        watch.seconds += counted
        watch.last_heartbeat_at = now
        watch.save(update_fields=["seconds", "counted_until", "last_heartbeat_at"])
        _watch_published(watch=watch, creator_id=watched.account_id, counted=counted)
    return WatchRecorded(seconds=watch.seconds, counted=counted)


def _watch_insert(
    *,
    viewer,
    status: Status,
    day: dt.date,
    seconds: int,
    now: dt.datetime,
    counted_until: dt.datetime,
) -> StatusWatch | None:
    """Insert the viewer's first row of ``status`` for ``day``; None when a concurrent
    heartbeat inserted it first (the unique constraint refused this one).

    Precondition: in a transaction (the refused insert rolls back to a savepoint).
    """
    try:
        with transaction.atomic():
            return StatusWatch.objects.create(
                viewer=viewer,
                status=status,
                day=day,
                seconds=seconds,
                last_heartbeat_at=now,
                counted_until=counted_until,
            )
    except IntegrityError:
        return None


def _watch_published(*, watch: StatusWatch, creator_id: int, counted: int) -> None:
    """Publish the row's running total when the heartbeat added to it (in its transaction)."""
    if not counted:
        return
    events.publish(
        events.WatchTimeRecorded(
            viewer_id=watch.viewer_id,
            creator_id=creator_id,
            source=f"status:{watch.status_id}",
            day=watch.day.isoformat(),
            seconds=watch.seconds,
        )
    )
