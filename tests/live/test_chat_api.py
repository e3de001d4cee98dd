"""The chat in the platform API: the socket's powers over HTTP, schema-validated."""

import pytest
from django.core.cache import cache

from apps.live.models import ChannelBan, ChannelModerator, ChatMessage, ChatTimeout
from apps.live.services import chat
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient
from tests.live.chat_support import make_stream

pytestmark = pytest.mark.django_db

STREAMS = "/api/agora/v1/live/streams"
CHANNEL = "/api/agora/v1/live/channel"


@pytest.fixture
def streamer(db):
    return UserFactory(username="streamer")


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer")


@pytest.fixture
def stream(streamer):
    return make_stream(streamer)


def messages_of(stream):
    return f"{STREAMS}/{stream.pk}/chat/messages"


def test_posting_and_reading_messages(stream, viewer, client_for):
    # when the viewer posts
    response = client_for(viewer).post(messages_of(stream), {"text": " hi all "}, format="json")

    # then the stored message comes back, as the socket's event shows it
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["text"] == "hi all"
    assert body["account"]["username"] == "viewer"
    assert ChatMessage.objects.get().pk == int(body["id"])
    # and anybody reads it, anonymous too
    listed = APIClient().get(messages_of(stream))
    assert listed.status_code == 200
    assert [m["id"] for m in listed.json()] == [body["id"]]


def test_reading_pages_back_with_max_id(stream, viewer):
    posted = [
        chat.chat_message_post(author=viewer, stream_id=stream.pk, text=f"m{n}") for n in range(3)
    ]
    cache.clear()
    response = APIClient().get(messages_of(stream), {"max_id": posted[2].pk, "limit": 1})
    assert response.status_code == 200
    assert [m["text"] for m in response.json()] == ["m1"]


@pytest.mark.parametrize(
    ("body", "status", "field_or_message"),
    [
        ({}, 422, "text"),
        ({"text": ""}, 422, "The message is empty."),
        ({"text": "x" * 501}, 422, "The message is longer than 500 characters."),
        ({"text": "hi", "reply_to_id": "abc"}, 422, "reply_to_id"),
        ({"text": "hi", "reply_to_id": "123"}, 422, "The message replied to is not in this chat."),
    ],
    ids=["no-text", "empty", "too-long", "bad-reply-id", "unknown-reply"],
)
def test_bad_messages_are_refused_with_nothing_stored(
    stream, viewer, client_for, body, status, field_or_message
):
    response = client_for(viewer).post(messages_of(stream), body, format="json")
    assert response.status_code == status, response.content
    assert field_or_message in response.content.decode()
    assert not ChatMessage.objects.exists()


def test_anonymous_cannot_post_and_strangers_do_not_see_private_chats(streamer, viewer, client_for):
    public = make_stream(streamer)
    private = make_stream(streamer, visibility="followers")
    assert APIClient().post(messages_of(public), {"text": "hi"}, format="json").status_code == 401
    assert client_for(viewer).get(messages_of(private)).status_code == 404
    assert (
        client_for(viewer).post(messages_of(private), {"text": "hi"}, format="json").status_code
        == 404
    )
    assert not ChatMessage.objects.exists()


def test_an_ended_stream_is_a_conflict(stream, streamer, viewer, client_for):
    from apps.live.services import stream_end

    stream_end(stream=stream, actor=streamer)
    response = client_for(viewer).post(messages_of(stream), {"text": "hi"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "The stream has ended: its chat is closed."


def test_the_rate_limit_is_a_429(stream, viewer, client_for):
    stream.chat_settings = {"rate_limit_messages": 1, "rate_limit_seconds": 60}
    stream.save()
    client = client_for(viewer)
    assert client.post(messages_of(stream), {"text": "one"}, format="json").status_code == 200
    response = client.post(messages_of(stream), {"text": "two"}, format="json")
    assert response.status_code == 429
    assert "too fast" in response.json()["error"]
    assert ChatMessage.objects.count() == 1


def test_the_streamer_deletes_a_message(stream, streamer, viewer, client_for):
    message = chat.chat_message_post(author=viewer, stream_id=stream.pk, text="oops")
    other = UserFactory()
    url = f"{messages_of(stream)}/{message.pk}"
    assert client_for(other).delete(url).status_code == 403
    response = client_for(streamer).delete(url)
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.state == "removed"
    assert client_for(streamer).delete(f"{messages_of(stream)}/99999").status_code == 404


def test_timeouts(stream, streamer, viewer, client_for):
    url = f"{STREAMS}/{stream.pk}/chat/timeouts"
    client = client_for(streamer)
    bad = client.post(url, {"account_id": str(viewer.pk), "seconds": 0}, format="json")
    assert bad.status_code == 422
    response = client.post(
        url, {"account_id": str(viewer.pk), "seconds": 60, "reason": "cool off"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["account_id"] == str(viewer.pk)
    assert ChatTimeout.objects.get().reason == "cool off"
    assert (
        client_for(viewer)
        .post(url, {"account_id": str(streamer.pk), "seconds": 60}, format="json")
        .status_code
        == 403
    )


def test_chat_settings_read_and_changed_live(stream, streamer, viewer, client_for):
    url = f"{STREAMS}/{stream.pk}/chat/settings"
    assert APIClient().get(url).json()["slow_mode_seconds"] == 0
    response = client_for(streamer).patch(url, {"slow_mode_seconds": 15}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["slow_mode_seconds"] == 15
    refused = client_for(streamer).patch(
        url, {"slow_mode_seconds": 99999, "emoji_only": "yes"}, format="json"
    )
    assert refused.status_code == 422
    assert set(refused.json()["details"]) == {"slow_mode_seconds", "emoji_only"}
    assert client_for(viewer).patch(url, {"emoji_only": True}, format="json").status_code == 403
    stream.refresh_from_db()
    assert stream.chat_settings == {"slow_mode_seconds": 15}


def test_the_streamer_appoints_and_dismisses_moderators(streamer, viewer, client_for):
    client = client_for(streamer)
    response = client.post(f"{CHANNEL}/moderators", {"account_id": str(viewer.pk)}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["account"]["username"] == "viewer"
    assert [m["account"]["id"] for m in client.get(f"{CHANNEL}/moderators").json()] == [
        str(viewer.pk)
    ]
    assert (
        client.post(
            f"{CHANNEL}/moderators", {"account_id": str(streamer.pk)}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(f"{CHANNEL}/moderators", {"account_id": "x"}, format="json").status_code == 422
    )
    assert (
        client.post(f"{CHANNEL}/moderators", {"account_id": "987654321"}, format="json").status_code
        == 404
    )
    assert client.delete(f"{CHANNEL}/moderators/{viewer.pk}").status_code == 200
    assert client.delete(f"{CHANNEL}/moderators/{viewer.pk}").status_code == 404
    assert not ChannelModerator.objects.exists()


def test_bans_by_the_streamer_and_by_a_channel_moderator(streamer, viewer, client_for):
    mod, troll = UserFactory(), UserFactory()
    chat.channel_moderator_add(actor=streamer, channel_id=streamer.pk, account_id=mod.pk)
    # the streamer bans in its own channel
    response = client_for(streamer).post(
        f"{CHANNEL}/bans", {"account_id": str(troll.pk), "reason": "spam"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["channel_id"] == str(streamer.pk)
    # a moderator names the channel
    response = client_for(mod).post(
        f"{CHANNEL}/bans",
        {"account_id": str(viewer.pk), "channel_id": str(streamer.pk)},
        format="json",
    )
    assert response.status_code == 200, response.content
    listed = client_for(mod).get(f"{CHANNEL}/bans", {"channel_id": str(streamer.pk)})
    assert {b["account_id"] for b in listed.json()} == {str(troll.pk), str(viewer.pk)}
    # a stranger may neither list nor ban
    assert (
        client_for(troll).get(f"{CHANNEL}/bans", {"channel_id": str(streamer.pk)}).status_code
        == 403
    )
    assert (
        client_for(troll)
        .post(
            f"{CHANNEL}/bans",
            {"account_id": str(mod.pk), "channel_id": str(streamer.pk)},
            format="json",
        )
        .status_code
        == 403
    )
    # lifting
    lifted = client_for(mod).delete(f"{CHANNEL}/bans/{viewer.pk}?channel_id={streamer.pk}")
    assert lifted.status_code == 200
    assert list(ChannelBan.objects.values_list("account_id", flat=True)) == [troll.pk]


def test_posting_costs_flat_queries(stream, viewer, client_for, django_assert_max_num_queries):
    client = client_for(viewer)
    client.post(messages_of(stream), {"text": "warm up"}, format="json")
    with django_assert_max_num_queries(10):
        response = client.post(messages_of(stream), {"text": "counted"}, format="json")
    assert response.status_code == 200


def test_a_stream_is_created_with_its_chat_rules_and_bad_ones_refused(streamer, client_for):
    from apps.live.services import live_allow

    live_allow(account=streamer, actor="tests")
    client = client_for(streamer)
    created = client.post(
        STREAMS,
        {"title": "Chatty", "chat_settings": {"min_account_age_days": 3, "rate_limit_messages": 2}},
        format="json",
    )
    assert created.status_code == 200, created.content
    assert created.json()["chat_settings"]["min_account_age_days"] == 3
    rules = APIClient().get(f"{STREAMS}/{created.json()['id']}/chat/settings").json()
    assert (rules["min_account_age_days"], rules["rate_limit_messages"]) == (3, 2)
    refused = client.post(
        STREAMS, {"title": "Bad", "chat_settings": {"rate_limit_seconds": 0}}, format="json"
    )
    assert refused.status_code == 422
