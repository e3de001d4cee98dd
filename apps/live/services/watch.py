"""Watch time of live streams: each heartbeat of a signed-in viewer counts the interval since
the last one it counted, once.

As the feed's watch time of videos (:mod:`apps.feed.services.watching`): a row per viewer,
stream and UTC day keeps the running total and the moment counting has reached
(``counted_until``), locked while a heartbeat counts, so concurrent heartbeats (two tabs,
a retried request) never count one interval twice and the total never exceeds the wall
time that passed. A live player does not say how much it played (there is nothing to
seek in a live stream): the interval is the time since ``counted_until``, and a silence
longer than ``LIVE_WATCH_MAX_INTERVAL_SECONDS`` (a pause, a closed tab) counts only that.
A viewer's first heartbeat of a stream counts nothing: it starts the clock. The
streamer's own views count nothing. Each total that grew is published as
:class:`core.events.WatchTimeRecorded` (``source="live:<stream id>"``), which billing
records (the largest total wins, so redelivery never counts twice).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.live.models import LiveWatch, Stream
from core import errors, events


@dataclass(frozen=True)
class WatchRecorded:
    """What a heartbeat did: the viewer's total of the stream today, and what it added."""

    seconds: int
    counted: int


def _interval(*, counted_until: dt.datetime, now: dt.datetime) -> tuple[int, dt.datetime]:
    """Seconds a heartbeat at ``now`` adds after ``counted_until``, and where counting then is.

    Whole seconds only; the fraction left is counted by the next heartbeat. A clock that
    went back counts nothing.
    """
    elapsed = (now - counted_until).total_seconds()
    limit = settings.LIVE_WATCH_MAX_INTERVAL_SECONDS
    if elapsed > limit:
        return limit, now
    counted = max(0, math.floor(elapsed))
    return counted, counted_until + dt.timedelta(seconds=counted)


def _locked(*, viewer: Any, stream: Stream, day: dt.date) -> LiveWatch | None:
    return (
        LiveWatch.objects.select_for_update().filter(viewer=viewer, stream=stream, day=day).first()
    )


def _first_counted_until(*, viewer: Any, stream: Stream, now: dt.datetime) -> dt.datetime:
    """Where counting starts for the viewer's first row of the day: from midnight when the
    viewer was counted on this stream the day before up to midnight or later (watching
    through midnight), otherwise from ``now`` (a first heartbeat counts nothing)."""
    midnight = dt.datetime.combine(now.astimezone(dt.UTC).date(), dt.time(), tzinfo=dt.UTC)
    before = (
        LiveWatch.objects.filter(
            viewer=viewer, stream=stream, day=midnight.date() - dt.timedelta(1)
        )
        .values_list("counted_until", flat=True)
        .first()
    )
    if before is not None and before >= midnight - dt.timedelta(
        seconds=settings.LIVE_WATCH_MAX_INTERVAL_SECONDS
    ):
        return min(max(before, midnight), now)
    return now


def live_watch_record(
    *, viewer: Any, stream: Stream, now: dt.datetime | None = None
) -> WatchRecorded:
    """Count a heartbeat of signed-in ``viewer`` playing live ``stream`` (which it may see).

    Adds the interval since the viewer's last counted heartbeat (see the module) to its
    total of the stream for the UTC day of ``now`` and publishes
    :class:`core.events.WatchTimeRecorded` when it grew. The streamer's own heartbeats
    store and publish nothing. The row is locked; a first insert that loses a race
    falls back to the row the other heartbeat created. Raises NotFound when that row
    vanished at once (its stream or viewer deleted).
    """
    if viewer.pk == stream.account_id:
        return WatchRecorded(seconds=0, counted=0)
    now = now or timezone.now()
    day = now.astimezone(dt.UTC).date()
    with transaction.atomic():
        watch = _locked(viewer=viewer, stream=stream, day=day)
        if watch is None:
            start = _first_counted_until(viewer=viewer, stream=stream, now=now)
            counted, counted_until = _interval(counted_until=start, now=now)
            watch = _insert(
                viewer=viewer, stream=stream, day=day, seconds=counted, counted_until=counted_until
            )
            if watch is not None:
                _published(watch=watch, creator_id=stream.account_id, counted=counted)
                return WatchRecorded(seconds=watch.seconds, counted=counted)
            # A concurrent first heartbeat inserted the row: count this one against it.
            watch = _locked(viewer=viewer, stream=stream, day=day)
            if watch is None:
                raise errors.NotFound(_("Record not found"))
        counted, watch.counted_until = _interval(counted_until=watch.counted_until, now=now)
        if counted:
            watch.seconds += counted
            watch.save(update_fields=["seconds", "counted_until"])
            _published(watch=watch, creator_id=stream.account_id, counted=counted)
    return WatchRecorded(seconds=watch.seconds, counted=counted)


def _insert(
    *, viewer: Any, stream: Stream, day: dt.date, seconds: int, counted_until: dt.datetime
) -> LiveWatch | None:
    """The viewer's first row of the day; None when a concurrent heartbeat inserted it first.

    Precondition: in a transaction (the refused insert rolls back to a savepoint).
    """
    try:
        with transaction.atomic():
            return LiveWatch.objects.create(
                viewer=viewer, stream=stream, day=day, seconds=seconds, counted_until=counted_until
            )
    except IntegrityError:
        return None


def _published(*, watch: LiveWatch, creator_id: int, counted: int) -> None:
    """Publish the row's running total when the heartbeat added to it (in its transaction)."""
    if not counted:
        return
    events.publish(
        events.WatchTimeRecorded(
            viewer_id=watch.viewer_id,
            creator_id=creator_id,
            source=f"live:{watch.stream_id}",
            day=watch.day.isoformat(),
            seconds=watch.seconds,
        )
    )
