"""The chat beside a replay: messages by their time in the stream, hidden ones never replayed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.live.models import ChatMessage, Stream
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient
from tests.live.chat_support import make_stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def replayed(db):
    """An ended stream that started an hour ago, with messages 10 s, 70 s and 130 s in; the
    second was hidden by moderation, the third removed by a moderator."""
    streamer, fan = UserFactory(username="replay_streamer"), UserFactory(username="replay_fan")
    stream = make_stream(streamer)
    started = timezone.now() - timedelta(hours=1)
    Stream.objects.filter(pk=stream.pk).update(
        state=Stream.State.ENDED, started_at=started, ended_at=started + timedelta(minutes=30)
    )
    said = {}
    for seconds, text, state in [
        (10, "first!", "visible"),
        (70, "something awful", "hidden"),
        (130, "spam link", "removed"),
        (190, "gg", "visible"),
    ]:
        message = ChatMessage.objects.create(stream=stream, author=fan, text=text, state=state)
        ChatMessage.objects.filter(pk=message.pk).update(
            created_at=started + timedelta(seconds=seconds)
        )
        said[text] = message
    return stream, said


def replay_url(stream):
    return f"/api/agora/v1/live/streams/{stream.pk}/chat/replay"


def test_the_chat_replays_by_time_in_the_stream_without_hidden_messages(replayed):
    stream, said = replayed
    client = APIClient()

    # the first minute
    first = client.get(replay_url(stream), {"from": 0, "to": 60})
    assert first.status_code == 200
    assert [(m["text"], m["offset"]) for m in first.json()] == [("first!", 10.0)]
    assert first.json()[0]["account"]["username"] == "replay_fan"

    # the next minutes: the hidden and the removed messages stay hidden
    later = client.get(replay_url(stream), {"from": 60, "to": 240}).json()
    assert [(m["text"], m["offset"]) for m in later] == [("gg", 190.0)]


def test_the_replay_costs_the_same_queries_for_many_messages(
    replayed, django_assert_max_num_queries
):
    stream, said = replayed
    stream.refresh_from_db()
    fan = said["gg"].author
    for second in range(200, 260):
        message = ChatMessage.objects.create(stream=stream, author=fan, text=f"at {second}")
        ChatMessage.objects.filter(pk=message.pk).update(
            created_at=stream.started_at + timedelta(seconds=second)
        )

    with django_assert_max_num_queries(4):
        answer = APIClient().get(replay_url(stream), {"from": 0, "to": 3600})

    assert len(answer.json()) == 62


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "soon"}, "from"),
        ({"from": -1}, "from"),
        ({"from": "nan"}, "from"),
        ({"from": 60, "to": 30}, "to"),
        ({"from": 0, "to": 7200}, "to"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
    ],
)
def test_a_bad_window_is_a_422_naming_the_parameter(replayed, query, field):
    stream, _said = replayed

    answer = APIClient().get(replay_url(stream), query)

    assert answer.status_code == 422
    assert field in answer.json()["error"] or field in str(answer.json().get("details", ""))


def test_a_stream_that_never_went_live_replays_nothing(db):
    stream = make_stream(UserFactory(username="never_live"))

    assert APIClient().get(replay_url(stream)).json() == []


def test_a_followers_streams_replay_is_not_found_for_a_stranger(replayed):
    stream, _said = replayed
    Stream.objects.filter(pk=stream.pk).update(visibility="followers")

    assert APIClient().get(replay_url(stream)).status_code == 404
