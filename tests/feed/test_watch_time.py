"""Watch time: ``POST /api/agora/v1/statuses/:id/watch``, a player's heartbeats.

Each heartbeat adds to the viewer's running total of the status for the UTC day, never
more than the time that passed (plus a small slack), nor more than three times the
media's duration a day; a total that grew is published as ``WatchTimeRecorded`` for
billing. The clock of the watch-time service is the only thing replaced.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from apps.feed import services
from apps.feed.models import Follow, Status, StatusWatch, Visibility
from apps.feed.services import watching as watching_services
from apps.media.models import MediaAttachment, ProcessingState
from core.models import OutboxEvent
from tests.api_client import APIClient

START = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


class Clock:
    """The watch-time service's clock, moved by the test."""

    def __init__(self, now: dt.datetime) -> None:
        self.current = now

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock(START)
    monkeypatch.setattr(watching_services, "timezone", SimpleNamespace(now=fake.now))
    return fake


def playable(member, *, kind: str = "video", duration: float | None = 10.0) -> str:
    """A processed attachment of ``member`` of type ``kind`` playing ``duration`` seconds."""
    meta = {} if duration is None else {"duration": duration, "original": {"duration": duration}}
    media = MediaAttachment.objects.create(
        account=member.account, type=kind, state=ProcessingState.READY,
        files={"mp4": "media/x/video.mp4", "poster": "media/x/poster.jpg"}, meta=meta,
    )  # fmt: skip
    return str(media.pk)


def video_status(member, *, duration: float | None = 10.0, kind: str = "video", **fields) -> Status:
    media_id = playable(member, kind=kind, duration=duration)
    return services.status_create(
        author=member.account, text="watch this", media_ids=[media_id], **fields
    )


def heartbeat(client, status_id, body):
    return client.post(f"/api/agora/v1/statuses/{status_id}/watch", body, format="json")


def watch_events() -> list[dict]:
    rows = OutboxEvent.objects.filter(event_type="WatchTimeRecorded").order_by("id")
    return [row.payload for row in rows]


def test_a_heartbeat_counts_its_seconds_and_publishes_the_running_total(alice, bob, clock):
    # given alice's 100-second video
    status = video_status(alice, duration=100.0)

    # when bob's player reports 20 seconds, then 15 more 15 seconds later
    first = heartbeat(bob.client, status.pk, {"seconds": 20})
    clock.advance(15)
    second = heartbeat(bob.client, status.pk, {"seconds": 15})

    # then each counted in full, the answers give the running total
    assert (first.status_code, first.json()) == (200, {"seconds": 20, "counted": 20})
    assert (second.status_code, second.json()) == (200, {"seconds": 35, "counted": 15})
    watch = StatusWatch.objects.get()
    assert (watch.viewer_id, watch.status_id, watch.day) == (
        bob.account.pk,
        status.pk,
        START.date(),
    )
    assert watch.seconds == 35
    # and each published bob's running total for alice's status that day
    expected = {
        "viewer_id": bob.account.pk,
        "creator_id": alice.account.pk,
        "source": f"status:{status.pk}",
        "day": "2026-03-10",
    }
    assert watch_events() == [{**expected, "seconds": 20}, {**expected, "seconds": 35}]


@pytest.mark.parametrize("kind", ["video", "gifv", "audio"])
def test_video_gifv_and_audio_are_watched(alice, bob, clock, kind):
    status = video_status(alice, kind=kind)

    response = heartbeat(bob.client, status.pk, {"seconds": 5})

    assert (response.status_code, response.json()) == (200, {"seconds": 5, "counted": 5})


def test_a_heartbeat_too_soon_counts_only_the_time_that_passed(alice, bob, clock):
    # given bob's first heartbeat of 30 seconds
    status = video_status(alice, duration=100.0)
    heartbeat(bob.client, status.pk, {"seconds": 30})

    # when the next one reports 30 more only 10 seconds later
    clock.advance(10)
    early = heartbeat(bob.client, status.pk, {"seconds": 30})
    # and another, half a second after that
    clock.advance(0.5)
    spam = heartbeat(bob.client, status.pk, {"seconds": 30})

    # then the first counts the 10 seconds that passed and the 5 seconds of slack, the
    # second nothing: the slack is granted once, not per heartbeat
    assert early.json() == {"seconds": 45, "counted": 15}
    assert spam.json() == {"seconds": 45, "counted": 0}
    assert StatusWatch.objects.get().seconds == 45
    assert [event["seconds"] for event in watch_events()] == [30, 45]


def test_heartbeats_at_the_pace_of_the_video_all_count_despite_jitter(alice, bob, clock):
    # given a player reporting 10 seconds every 10 seconds, its timer a little late or early
    status = video_status(alice, duration=600.0)
    counted = []
    for gap in [0, 10.4, 9.6, 10.2, 9.9, 9.5]:
        clock.advance(gap)
        counted.append(heartbeat(bob.client, status.pk, {"seconds": 10}).json()["counted"])

    assert counted == [10] * 6
    assert StatusWatch.objects.get().seconds == 60


def test_a_day_counts_at_most_three_times_the_duration(alice, bob, clock):
    # given alice's 10-second video, which bob may be counted for 30 seconds a day
    status = video_status(alice, duration=10.0)

    # when bob's player reports 20 seconds, three times, 20 seconds apart
    answers = []
    for _ in range(3):
        answers.append(heartbeat(bob.client, status.pk, {"seconds": 20}).json())
        clock.advance(20)

    # then the cap holds the total at 30, and the refused heartbeat publishes nothing
    assert answers == [
        {"seconds": 20, "counted": 20},
        {"seconds": 30, "counted": 10},
        {"seconds": 30, "counted": 0},
    ]
    assert [event["seconds"] for event in watch_events()] == [20, 30]


def test_the_cap_covers_every_video_of_the_status(alice, bob, clock):
    # given a status with two 10-second videos: 60 seconds a day, three times over both
    media_ids = [playable(alice, duration=10.0), playable(alice, duration=10.0)]
    status = services.status_create(author=alice.account, text="two", media_ids=media_ids)

    first = heartbeat(bob.client, status.pk, {"seconds": 40})
    clock.advance(40)
    second = heartbeat(bob.client, status.pk, {"seconds": 40})

    assert first.json() == {"seconds": 40, "counted": 40}
    assert second.json() == {"seconds": 60, "counted": 20}


def test_without_a_known_duration_the_fixed_cap_holds(alice, bob, clock, settings):
    settings.FEED_WATCH_UNKNOWN_DURATION_CAP_SECONDS = 40
    status = video_status(alice, duration=None)

    first = heartbeat(bob.client, status.pk, {"seconds": 30})
    clock.advance(30)
    second = heartbeat(bob.client, status.pk, {"seconds": 30})

    assert first.json() == {"seconds": 30, "counted": 30}
    assert second.json() == {"seconds": 40, "counted": 10}


def test_the_next_utc_day_starts_a_new_total(alice, bob, clock):
    # given bob's heartbeat ten seconds before midnight UTC
    status = video_status(alice, duration=100.0)
    clock.current = dt.datetime(2026, 3, 10, 23, 59, 50, tzinfo=dt.UTC)
    heartbeat(bob.client, status.pk, {"seconds": 30})

    # when the next one arrives just after midnight
    clock.advance(15)
    after_midnight = heartbeat(bob.client, status.pk, {"seconds": 30})

    # then it is the first of the new day: a total of its own, counted in full
    assert after_midnight.json() == {"seconds": 30, "counted": 30}
    totals = dict(StatusWatch.objects.values_list("day", "seconds"))
    assert totals == {dt.date(2026, 3, 10): 30, dt.date(2026, 3, 11): 30}
    assert [(event["day"], event["seconds"]) for event in watch_events()] == [
        ("2026-03-10", 30),
        ("2026-03-11", 30),
    ]


def test_the_authors_own_watching_is_not_counted(alice, clock):
    status = video_status(alice)

    response = heartbeat(alice.client, status.pk, {"seconds": 20})

    assert (response.status_code, response.json()) == (200, {"seconds": 0, "counted": 0})
    assert not StatusWatch.objects.exists()
    assert watch_events() == []


def test_watching_through_a_reblog_counts_for_the_original(alice, bob, carol, clock):
    # given bob's reblog of alice's video
    status = video_status(alice)
    reblog = services.status_reblog(status=status, account=bob.account)

    # when carol watches it from bob's reblog
    response = heartbeat(carol.client, reblog.pk, {"seconds": 5})

    # then alice's status is what carol watched
    assert response.json() == {"seconds": 5, "counted": 5}
    assert StatusWatch.objects.get().status_id == status.pk
    (event,) = watch_events()
    assert (event["creator_id"], event["source"]) == (alice.account.pk, f"status:{status.pk}")


def test_a_status_the_viewer_may_not_see_is_not_found(alice, bob, carol, clock):
    # given alice's video for her followers, bob among them and carol not
    status = video_status(alice, visibility=Visibility.PRIVATE)
    Follow.objects.create(account=bob.account, target=alice.account)
    assert heartbeat(bob.client, status.pk, {"seconds": 5}).status_code == 200

    # when carol reports watching it, or a status that does not exist
    hidden = heartbeat(carol.client, status.pk, {"seconds": 5})
    missing = heartbeat(carol.client, status.pk + 1000, {"seconds": 5})

    # then both are answered as the status endpoint answers them, and nothing is counted
    assert (hidden.status_code, hidden.json()) == (404, {"error": "Record not found"})
    assert carol.client.get(f"/api/v1/statuses/{status.pk}").json() == hidden.json()
    assert (missing.status_code, missing.json()) == (404, {"error": "Record not found"})
    assert not StatusWatch.objects.filter(viewer=carol.account).exists()
    assert [event["viewer_id"] for event in watch_events()] == [bob.account.pk]


def test_a_status_without_playable_media_is_refused(alice, bob, clock):
    # given a status without media, and one whose video failed processing afterwards
    text_only = services.status_create(author=alice.account, text="nothing to watch")
    broken = video_status(alice)
    MediaAttachment.objects.filter(status_id=broken.pk).update(state=ProcessingState.FAILED)

    for status in (text_only, broken):
        # when bob reports watching it
        response = heartbeat(bob.client, status.pk, {"seconds": 5})

        # then it is refused, saying why
        assert response.status_code == 422
        assert response.json()["error"] == (
            "This status has no processed video, gifv or audio to watch"
        )
    assert not StatusWatch.objects.exists()
    assert watch_events() == []


def test_an_image_is_not_watched(alice, bob, clock):
    image = MediaAttachment.objects.create(
        account=alice.account, type="image", state=ProcessingState.READY,
        files={"original": "media/x/original.png"}, meta={"original": {"width": 4}},
    )  # fmt: skip
    status = services.status_create(author=alice.account, text="look", media_ids=[str(image.pk)])

    assert heartbeat(bob.client, status.pk, {"seconds": 5}).status_code == 422


@pytest.mark.parametrize(
    "body",
    [{"seconds": 0}, {"seconds": 61}, {"seconds": "x"}, {"seconds": 2.5}, {}],
    ids=["zero", "over-the-maximum", "not-a-number", "a-fraction", "missing"],
)
def test_bad_seconds_are_refused(alice, bob, clock, body):
    status = video_status(alice)

    response = heartbeat(bob.client, status.pk, body)

    assert response.status_code == 422
    assert "seconds" in response.json()["details"]
    assert not StatusWatch.objects.exists()
    assert watch_events() == []


def test_the_maximum_is_the_setting(alice, bob, clock, settings):
    settings.FEED_WATCH_HEARTBEAT_MAX_SECONDS = 10
    status = video_status(alice)

    assert heartbeat(bob.client, status.pk, {"seconds": 11}).status_code == 422
    assert heartbeat(bob.client, status.pk, {"seconds": 10}).json()["counted"] == 10


def test_without_a_token_it_is_unauthorized(alice, clock):
    status = video_status(alice)

    response = heartbeat(APIClient(), status.pk, {"seconds": 5})

    assert response.status_code == 401
    assert not StatusWatch.objects.exists()


@pytest.mark.parametrize(
    ("scope", "expected"),
    [("write follow push", 403), ("read:accounts", 403), ("read:statuses", 200), ("read", 200)],
    ids=["no-read", "another-read-scope", "read-statuses", "read"],
)
def test_a_token_needs_the_read_statuses_scope(alice, bob, clock, token_for, scope, expected):
    status = video_status(alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(bob.account, scope=scope)}")

    response = heartbeat(client, status.pk, {"seconds": 5})

    assert response.status_code == expected
    assert StatusWatch.objects.filter(viewer=bob.account).exists() == (expected == 200)


def test_a_heartbeat_costs_a_fixed_number_of_queries(
    alice, bob, carol, clock, django_assert_num_queries
):
    # given a video with two attachments, watched already by carol and by bob
    media_ids = [playable(alice), playable(alice)]
    status = services.status_create(author=alice.account, text="two", media_ids=media_ids)
    heartbeat(carol.client, status.pk, {"seconds": 5})
    clock.advance(5)

    # when bob's first heartbeat, then his next
    # (the token with its account, the status, its media's durations, a savepoint, the row's
    # lock, its insert in a savepoint of its own (3), the event, the release)
    with django_assert_num_queries(10):
        heartbeat(bob.client, status.pk, {"seconds": 5})
    clock.advance(5)
    # (the token with its account, the status, its media's durations, a savepoint, the row's
    # lock, its update, the event, the release)
    with django_assert_num_queries(8):
        response = heartbeat(bob.client, status.pk, {"seconds": 5})

    assert response.json() == {"seconds": 10, "counted": 5}


def test_a_first_heartbeat_that_loses_the_insert_race_counts_against_the_winners_row(
    alice, bob, clock, monkeypatch
):
    # given bob's row for today, written by a concurrent first heartbeat that this one's
    # lookup did not see yet (the window between the locked read and the insert)
    status = video_status(alice, duration=100.0)
    StatusWatch.objects.create(
        viewer=bob.account, status=status, day=START.date(), seconds=20,
        last_heartbeat_at=START, counted_until=START,
    )  # fmt: skip
    real_lookup = watching_services._watch_locked
    lookups = []

    def lookup_missing_the_row_once(**kwargs):
        lookups.append(kwargs)
        return None if len(lookups) == 1 else real_lookup(**kwargs)

    monkeypatch.setattr(watching_services, "_watch_locked", lookup_missing_the_row_once)

    # when this heartbeat reports 20 seconds at the same moment
    response = heartbeat(bob.client, status.pk, {"seconds": 20})

    # then its insert is refused by the unique constraint, and it counts against the row:
    # the time was counted already, but for the slack
    assert response.status_code == 200
    assert response.json() == {"seconds": 25, "counted": 5}
    assert len(lookups) == 2
    assert StatusWatch.objects.get().seconds == 25
    assert [event["seconds"] for event in watch_events()] == [25]
