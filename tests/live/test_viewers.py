"""Viewers: heartbeats count who watches now, the room hears the count, peak and unique
viewers are kept on the stream, and the room hears ``ended`` when it ends.

Without ``REDIS_URL`` (this suite) the counts live in the process's memory store, which
the integration suite's Redis runs mirror (tests/integration/test_live_viewers.py).
"""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.live.models import Stream
from apps.live.services import viewers
from apps.live.services.rooms import room_group
from apps.live.tasks import viewer_counts_task
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient

pytestmark = pytest.mark.django_db

STREAMS = "/api/agora/v1/live/streams"


@pytest.fixture
def live_stream(streamer, create_stream, nginx):
    """``live_stream(**body)``: a stream of ``streamer`` gone live through on_publish; its id."""

    def make(**body) -> int:
        created = create_stream(streamer, **body)
        assert nginx("on_publish", created["ingest"]["stream_key"]).status_code == 302
        return int(created["id"])

    return make


@pytest.fixture
def room():
    """``room(stream_id)``: a channel in the stream's room; ``.events()`` drains what it heard."""
    layer = get_channel_layer()
    joined: list[tuple[str, str]] = []

    class Listener:
        def __init__(self, stream_id: int) -> None:
            self.channel = async_to_sync(layer.new_channel)()
            self.group = room_group(stream_id)
            async_to_sync(layer.group_add)(self.group, self.channel)
            joined.append((self.group, self.channel))

        def events(self) -> list[tuple[str, dict]]:
            heard = []
            while True:
                message = async_to_sync(_receive_now)(layer, self.channel)
                if message is None:
                    return heard
                heard.append((message["event"], message["payload"]))

    yield Listener
    for group, channel in joined:
        async_to_sync(layer.group_discard)(group, channel)


async def _receive_now(layer, channel):
    import asyncio

    try:
        return await asyncio.wait_for(layer.receive(channel), timeout=0.05)
    except TimeoutError:
        return None


def beat(client, stream_id, body=None):
    return client.post(f"{STREAMS}/{stream_id}/heartbeat", body or {}, format="json")


def test_anonymous_players_of_a_public_stream_count_once_each(live_stream):
    # given a live public stream
    stream_id = live_stream()
    anonymous = APIClient()

    # when two anonymous players beat, one of them twice
    first = beat(anonymous, stream_id, {"viewer_id": "player-one-1234"})
    second = beat(anonymous, stream_id, {"viewer_id": "player-two-5678"})
    again = beat(anonymous, stream_id, {"viewer_id": "player-one-1234"})

    # then two watch, and the stream says so to anybody
    assert [r.status_code for r in (first, second, again)] == [200, 200, 200]
    assert [first.json()["viewers"], second.json()["viewers"], again.json()["viewers"]] == [1, 2, 2]
    assert again.json() == {"viewers": 2, "watched_seconds": 0, "counted": 0}
    shown = APIClient().get(f"{STREAMS}/{stream_id}").json()
    assert shown["viewers"] == 2
    listed = APIClient().get(STREAMS).json()
    assert [(s["id"], s["viewers"]) for s in listed] == [(str(stream_id), 2)]


def test_a_signed_in_viewer_counts_by_account_whatever_id_its_player_sends(
    live_stream, user, client_for
):
    # given a live stream
    stream_id = live_stream()

    # when the same account beats from two tabs with different player ids
    beat(client_for(user), stream_id, {"viewer_id": "tab-one-12345"})
    answer = beat(client_for(user), stream_id, {"viewer_id": "tab-two-12345"})

    # then it is one viewer
    assert answer.status_code == 200, answer.content
    assert answer.json()["viewers"] == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"viewer_id": ""}, {"viewer_id": "short"}, {"viewer_id": "spaces are bad!!"},
     {"viewer_id": "x" * 65}, {"viewer_id": ["a" * 10]}],
    ids=["missing", "blank", "too-short", "bad-characters", "too-long", "not-a-string"],
)  # fmt: skip
def test_an_anonymous_player_without_a_valid_id_is_refused_and_not_counted(live_stream, body):
    # given a live stream
    stream_id = live_stream()

    # when an anonymous player beats without a usable id
    answer = beat(APIClient(), stream_id, body)

    # then 422 with a message, and nobody counts
    assert answer.status_code == 422, answer.content
    assert "viewer_id" in answer.json()["error"] or "viewer_id" in str(answer.json())
    assert viewers.viewers_now([stream_id]) == {stream_id: 0}


def test_a_stream_that_is_not_live_refuses_heartbeats(streamer, create_stream, nginx):
    # given an idle stream and an ended one
    idle = create_stream(streamer)["id"]
    ended = create_stream(streamer)
    nginx("on_publish", ended["ingest"]["stream_key"])
    assert (
        nginx("on_publish_done", Stream.objects.get(pk=ended["id"]).internal_name).status_code
        == 204
    )

    # when players beat
    answers = [beat(APIClient(), s, {"viewer_id": "player-one-1234"}) for s in (idle, ended["id"])]

    # then 409 with the reason, and nobody counts
    assert [a.status_code for a in answers] == [409, 409]
    assert answers[0].json()["error"] == "The stream is not live."
    assert viewers.viewers_now([int(idle), int(ended["id"])]) == {int(idle): 0, int(ended["id"]): 0}


def test_who_may_not_see_a_stream_gets_404_and_is_not_counted(live_stream, streamer, client_for):
    # given a followers-only live stream, a follower and a stranger
    stream_id = live_stream(visibility="followers")
    follower, stranger = UserFactory(), UserFactory()
    followed = client_for(follower).post(f"/api/v1/accounts/{streamer.pk}/follow")
    assert followed.status_code == 200, followed.content

    # when each beats (and one for a stream that does not exist)
    anonymous = beat(APIClient(), stream_id, {"viewer_id": "player-one-1234"})
    strange = beat(client_for(stranger), stream_id)
    unknown = beat(client_for(follower), 12345)
    welcome = beat(client_for(follower), stream_id)

    # then only the follower counts
    assert [anonymous.status_code, strange.status_code, unknown.status_code] == [404, 404, 404]
    assert welcome.status_code == 200
    assert welcome.json()["viewers"] == 1


def test_a_viewer_stops_counting_once_not_seen_for_the_ttl(live_stream, settings):
    # given a live stream and the 45-second TTL
    settings.LIVE_VIEWER_TTL_SECONDS = 45
    stream_id = live_stream()
    start = time.time()

    # when one viewer was seen 60 s ago and another 30 s ago (chat presence)
    viewers.viewer_seen(stream_id, "anon:gone-away-1234", now=start - 60)
    viewers.viewer_seen(stream_id, "a:42", now=start - 30)

    # then only the recent one watches now
    assert viewers.viewers_now([stream_id], now=start) == {stream_id: 1}


@pytest.mark.parametrize(
    "key", ["", "42", "a:", "a:x", "anon:short", "user:42", "anon:" + "x" * 65]
)
def test_viewer_seen_refuses_a_malformed_key(key):
    with pytest.raises(ValueError, match="not a viewer key"):
        viewers.viewer_seen(1, key)


def test_the_periodic_task_tells_the_room_and_keeps_peak_and_unique(live_stream, room):
    # given a live stream whose room is listened to, and three viewers seen
    stream_id = live_stream()
    listener = room(stream_id)
    for key in ("a:1", "a:2", "anon:player-1234"):
        viewers.viewer_seen(stream_id, key)

    # when the periodic task runs; then two go away and it runs again
    assert viewer_counts_task.apply().get() == 1
    viewers.viewer_store().clear(stream_id)
    viewers.viewer_seen(stream_id, "a:1")
    viewer_counts_task.apply()

    # then the room heard 3 then 1, and the stream keeps the peak and the unique count
    assert listener.events() == [
        ("viewer_count", {"viewers": 3}),
        ("viewer_count", {"viewers": 1}),
    ]
    stream = Stream.objects.get(pk=stream_id)
    assert (stream.peak_viewers, stream.unique_viewers) == (3, 3)


def test_the_periodic_task_never_lowers_what_the_stream_keeps(live_stream):
    # given a stream whose peak and unique counts are already higher
    stream_id = live_stream()
    Stream.objects.filter(pk=stream_id).update(peak_viewers=10, unique_viewers=20)
    viewers.viewer_seen(stream_id, "a:1")

    # when the task runs
    viewers.viewer_counts_fold()

    # then they stay
    stream = Stream.objects.get(pk=stream_id)
    assert (stream.peak_viewers, stream.unique_viewers) == (10, 20)


def test_ending_a_stream_tells_its_room_and_keeps_its_final_counts(
    live_stream, streamer, client_for, room, django_capture_on_commit_callbacks
):
    # given a live stream with two viewers and a listener in its room
    stream_id = live_stream()
    listener = room(stream_id)
    viewers.viewer_seen(stream_id, "a:1")
    viewers.viewer_seen(stream_id, "a:2")

    # when its owner ends it (and the event's handlers run after commit)
    with django_capture_on_commit_callbacks(execute=True):
        ended = client_for(streamer).post(f"{STREAMS}/{stream_id}/end")

    # then the room hears ``ended`` with the stream's counts, kept on the stream, and the
    # live counts are forgotten
    assert ended.status_code == 200, ended.content
    assert ended.json()["viewers"] == 0
    assert listener.events() == [
        ("ended", {"stream_id": str(stream_id), "peak_viewers": 2, "unique_viewers": 2})
    ]
    stream = Stream.objects.get(pk=stream_id)
    assert (stream.peak_viewers, stream.unique_viewers) == (2, 2)
    assert viewers.viewer_store().counts([stream_id], time.time())[stream_id] == (
        viewers.ViewerCounts(current=0, unique=0)
    )


def test_a_heartbeat_costs_a_flat_number_of_queries(
    live_stream, client_for, django_assert_max_num_queries
):
    # given a live stream and a signed-in viewer who has beaten once
    stream_id = live_stream()
    viewer = UserFactory()
    client = client_for(viewer)
    beat(client, stream_id)

    # then a further heartbeat (auth, stream, watch row, its update and event) stays flat,
    # and an anonymous one is cheaper still
    with django_assert_max_num_queries(12):
        assert beat(client, stream_id).status_code == 200
    with django_assert_max_num_queries(3):
        assert beat(APIClient(), stream_id, {"viewer_id": "player-one-1234"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("[1, 2]", "application/json"), ("{not json", "application/json")],
    ids=["a-list", "malformed-json"],
)
def test_a_malformed_heartbeat_body_is_a_clear_4xx(live_stream, body, content_type):
    # given a live stream
    stream_id = live_stream()

    # when a player posts a body that is not a JSON object
    answer = APIClient().generic(
        "POST", f"{STREAMS}/{stream_id}/heartbeat", body, content_type=content_type
    )

    # then a 4xx in Mastodon's error shape, and nobody counts
    assert 400 <= answer.status_code < 500, answer.content
    assert answer.json()["error"]
    assert viewers.viewers_now([stream_id]) == {stream_id: 0}
