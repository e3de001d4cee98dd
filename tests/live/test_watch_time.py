"""Watch time of live streams: each heartbeat of a signed-in viewer counts the interval since
the last one it counted, once, never more than the wall time that passed; the streamer's own
and anonymous players' count nothing; totals reach billing as ``WatchTimeRecorded``.

The watch-time service's clock is the only thing replaced.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from apps.billing.models import WatchTime
from apps.live.models import LiveWatch
from apps.live.services import watch as watch_services
from core.models import OutboxEvent
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient

pytestmark = pytest.mark.django_db

STREAMS = "/api/agora/v1/live/streams"
START = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.current = now

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock(START)
    monkeypatch.setattr(watch_services, "timezone", SimpleNamespace(now=fake.now))
    return fake


@pytest.fixture
def stream_id(streamer, create_stream, nginx) -> int:
    """A public stream of ``streamer``, live."""
    created = create_stream(streamer)
    assert nginx("on_publish", created["ingest"]["stream_key"]).status_code == 302
    return int(created["id"])


@pytest.fixture
def viewer(client_for):
    account = UserFactory()
    account.client = client_for(account)
    return account


def beat(client, stream_id, body=None) -> dict:
    response = client.post(f"{STREAMS}/{stream_id}/heartbeat", body or {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def watch_events() -> list[dict]:
    rows = OutboxEvent.objects.filter(event_type="WatchTimeRecorded").order_by("id")
    return [row.payload for row in rows]


def test_each_heartbeat_counts_the_interval_since_the_last_and_publishes_the_total(
    stream_id, streamer, viewer, clock
):
    # when a viewer's player beats on joining, then every 15 s twice
    first = beat(viewer.client, stream_id)
    clock.advance(15)
    second = beat(viewer.client, stream_id)
    clock.advance(15.4)
    third = beat(viewer.client, stream_id)

    # then the first starts the clock and the others count their interval (whole seconds)
    assert [(b["counted"], b["watched_seconds"]) for b in (first, second, third)] == [
        (0, 0),
        (15, 15),
        (15, 30),
    ]
    row = LiveWatch.objects.get(viewer=viewer, stream_id=stream_id)
    assert (row.day, row.seconds) == (START.date(), 30)
    assert row.counted_until == START + dt.timedelta(seconds=30)
    common = {"viewer_id": viewer.pk, "creator_id": streamer.pk, "source": f"live:{stream_id}"}
    assert watch_events() == [
        {**common, "day": "2026-03-10", "seconds": 15},
        {**common, "day": "2026-03-10", "seconds": 30},
    ]


def test_two_tabs_never_count_more_than_the_wall_time(stream_id, viewer, clock):
    # when two tabs of the same account beat, interleaved, over 20 seconds
    totals = []
    for step in (0, 5, 10, 5):  # tab A at 0 and 15, tab B at 5 and 20
        clock.advance(step)
        totals.append(beat(viewer.client, stream_id)["watched_seconds"])

    # then 20 seconds passed and 20 were counted, each interval once
    assert totals == [0, 5, 15, 20]
    assert LiveWatch.objects.get(viewer=viewer).seconds == 20


def test_a_repeated_heartbeat_at_the_same_moment_counts_nothing(stream_id, viewer, clock):
    beat(viewer.client, stream_id)
    clock.advance(15)
    assert beat(viewer.client, stream_id)["counted"] == 15

    again = beat(viewer.client, stream_id)

    assert again == {"viewers": 1, "watched_seconds": 15, "counted": 0}
    assert len(watch_events()) == 1


def test_a_long_silence_counts_only_the_longest_interval(stream_id, viewer, clock, settings):
    # given heartbeats count at most 30 s
    settings.LIVE_WATCH_MAX_INTERVAL_SECONDS = 30
    beat(viewer.client, stream_id)

    # when the next heartbeat comes ten minutes later (a pause), and then 15 s after it
    clock.advance(600)
    paused = beat(viewer.client, stream_id)
    clock.advance(15)
    resumed = beat(viewer.client, stream_id)

    # then the pause counted 30 s and counting resumed from the late heartbeat
    assert (paused["counted"], resumed["counted"], resumed["watched_seconds"]) == (30, 15, 45)


def test_a_clock_that_went_back_counts_nothing(stream_id, viewer, clock):
    beat(viewer.client, stream_id)
    clock.advance(-10)

    assert beat(viewer.client, stream_id)["counted"] == 0


def test_the_streamer_and_anonymous_players_count_no_watch_time(
    stream_id, streamer, client_for, clock
):
    # when the streamer and an anonymous player beat twice, 15 s apart
    for _ in range(2):
        own = beat(client_for(streamer), stream_id)
        anonymous = beat(APIClient(), stream_id, {"viewer_id": "anonymous-player-1"})
        clock.advance(15)

    # then they are viewers, but nothing is stored or published
    assert own == {"viewers": 2, "watched_seconds": 0, "counted": 0}
    assert anonymous == {"viewers": 2, "watched_seconds": 0, "counted": 0}
    assert not LiveWatch.objects.exists()
    assert watch_events() == []


def test_watching_through_midnight_counts_the_new_day_from_midnight(stream_id, viewer, clock):
    # given a viewer watching at 23:59:40 and 23:59:55
    clock.current = dt.datetime(2026, 3, 10, 23, 59, 40, tzinfo=dt.UTC)
    beat(viewer.client, stream_id)
    clock.advance(15)
    beat(viewer.client, stream_id)

    # when the next heartbeat comes at 00:00:10
    clock.advance(15)
    after = beat(viewer.client, stream_id)

    # then the new day counts from midnight, in a total of its own
    assert (after["counted"], after["watched_seconds"]) == (10, 10)
    days = dict(LiveWatch.objects.filter(viewer=viewer).values_list("day", "seconds"))
    assert days == {dt.date(2026, 3, 10): 15, dt.date(2026, 3, 11): 10}


def test_a_viewers_heartbeats_become_billing_watch_time(
    stream_id, streamer, viewer, clock, django_capture_on_commit_callbacks
):
    # when a viewer watches for a minute (the events relayed after each commit)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            beat(viewer.client, stream_id)
            clock.advance(15)

    # then billing holds a minute of the viewer's watch time of the streamer, today
    rows = list(
        WatchTime.objects.filter(viewer=viewer).values_list(
            "creator_id", "source", "day", "seconds"
        )
    )
    assert rows == [(streamer.pk, f"live:{stream_id}", START.date(), 60)]


def test_heartbeats_are_refused_with_no_watch_time_once_the_stream_ended(
    stream_id, streamer, viewer, client_for, clock
):
    beat(viewer.client, stream_id)
    assert client_for(streamer).post(f"{STREAMS}/{stream_id}/end").status_code == 200
    clock.advance(15)

    refused = viewer.client.post(f"{STREAMS}/{stream_id}/heartbeat", {}, format="json")

    assert refused.status_code == 409
    assert LiveWatch.objects.get(viewer=viewer).seconds == 0
