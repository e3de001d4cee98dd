"""The streams API: create (the key shown once), read, list, end, rotate, delete."""

from __future__ import annotations

import pytest

from apps.live.models import Stream
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient

pytestmark = pytest.mark.django_db

STREAMS = "/api/agora/v1/live/streams"


def test_creating_a_stream_shows_its_key_once_and_stores_only_its_hash(streamer, client_for):
    # when
    response = client_for(streamer).post(
        STREAMS,
        {
            "title": "Speedrun night",
            "description": "Any%",
            "visibility": "followers",
            "chat_settings": {"slow_mode_seconds": 10, "emoji_only": True},
        },
        format="json",
    )

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    key = body["ingest"]["stream_key"]
    assert body["state"] == "idle"
    assert body["visibility"] == "followers"
    assert body["ingest"]["rtmp_url"] == "rtmp://ingest.agora.test/live"
    assert body["chat_settings"]["slow_mode_seconds"] == 10
    assert body["chat_settings"]["emoji_only"] is True
    stream = Stream.objects.get(pk=body["id"])
    assert stream.account == streamer
    assert key not in {stream.key_hash, stream.internal_name}
    assert len(stream.key_hash) == 64
    assert body["playback"]["hls_url"].endswith(f"/{stream.internal_name}/index.m3u8")

    # and reading it again never shows the key
    again = client_for(streamer).get(f"{STREAMS}/{body['id']}")
    assert again.status_code == 200
    assert "ingest" not in again.json()
    assert key not in again.content.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"title": ""}, "title", id="blank-title"),
        pytest.param({}, "title", id="no-title"),
        pytest.param({"title": "x" * 101}, "title", id="title-too-long"),
        pytest.param({"title": "ok", "description": "x" * 501}, "description", id="long-text"),
        pytest.param({"title": "ok", "visibility": "direct"}, "visibility", id="bad-visibility"),
        pytest.param(
            {"title": "ok", "chat_settings": {"slow_mode_seconds": -1}},
            "chat_settings",
            id="bad-slow-mode",
        ),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_creates_nothing(streamer, client_for, body, field):
    response = client_for(streamer).post(STREAMS, body, format="json")

    assert response.status_code == 422
    assert field in response.json()["details"]
    assert not Stream.objects.exists()


def test_creating_needs_a_signed_in_account():
    response = APIClient().post(STREAMS, {"title": "anonymous"}, format="json")
    assert response.status_code == 401
    assert not Stream.objects.exists()


def test_the_list_shows_what_is_live_now_and_filters_by_account(
    streamer, create_stream, nginx, client_for
):
    # given two live streams, an idle one and an unlisted live one
    other = UserFactory()
    from apps.live.services import live_allow

    live_allow(account=other, actor="tests")
    live = create_stream(streamer, title="live one")
    live_other = create_stream(other, title="live two")
    create_stream(streamer, title="idle")
    unlisted = create_stream(other, title="unlisted", visibility="unlisted")
    for created in (live, live_other, unlisted):
        assert nginx("on_publish", created["ingest"]["stream_key"]).status_code == 302

    # when anybody lists
    everything = APIClient().get(STREAMS)
    only_other = APIClient().get(STREAMS, {"account_id": str(other.pk)})

    # then
    assert everything.status_code == 200
    assert [s["id"] for s in everything.json()] == [live_other["id"], live["id"]]
    assert [s["id"] for s in only_other.json()] == [live_other["id"]]
    assert all("ingest" not in s for s in everything.json())


def test_the_list_is_paginated(streamer, create_stream, nginx):
    ids = []
    for number in range(3):
        created = create_stream(streamer, title=f"part {number}")
        nginx("on_publish", created["ingest"]["stream_key"])
        ids.append(created["id"])

    first = APIClient().get(STREAMS, {"limit": 2})
    assert [s["id"] for s in first.json()] == [ids[2], ids[1]]
    assert 'rel="next"' in first["Link"]
    second = APIClient().get(STREAMS, {"limit": 2, "max_id": ids[1]})
    assert [s["id"] for s in second.json()] == [ids[0]]


def test_a_malformed_account_filter_is_a_422():
    response = APIClient().get(STREAMS, {"account_id": "nobody"})
    assert response.status_code == 422
    assert "account_id" in response.json()["details"]


def test_a_followers_only_stream_is_hidden_from_a_stranger_and_shown_to_a_follower(
    streamer, create_stream, nginx, client_for
):
    # given
    created = create_stream(streamer, visibility="followers")
    nginx("on_publish", created["ingest"]["stream_key"])
    stranger, follower = UserFactory(), UserFactory()
    follow = client_for(follower).post(f"/api/v1/accounts/{streamer.pk}/follow")
    assert follow.status_code == 200
    path = f"{STREAMS}/{created['id']}"

    # then
    assert client_for(stranger).get(path).status_code == 404
    assert APIClient().get(path).status_code == 404
    assert client_for(follower).get(path).status_code == 200
    assert client_for(streamer).get(path).status_code == 200
    assert [s["id"] for s in client_for(follower).get(STREAMS).json()] == [created["id"]]
    assert client_for(stranger).get(STREAMS).json() == []


def test_a_subscribers_only_stream_is_hidden_from_non_members(streamer, create_stream, client_for):
    created = create_stream(streamer, visibility="subscribers")
    path = f"{STREAMS}/{created['id']}"

    assert client_for(UserFactory()).get(path).status_code == 404
    assert client_for(streamer).get(path).status_code == 200


def test_a_suspended_accounts_stream_is_hidden(streamer, create_stream):
    created = create_stream(streamer)
    streamer.standing = "suspended"
    streamer.save(update_fields=["standing"])

    assert APIClient().get(f"{STREAMS}/{created['id']}").status_code == 404


def test_the_owner_ends_a_live_stream(streamer, create_stream, nginx, client_for):
    created = create_stream(streamer)
    nginx("on_publish", created["ingest"]["stream_key"])

    response = client_for(streamer).post(f"{STREAMS}/{created['id']}/end")

    assert response.status_code == 200
    assert response.json()["state"] == "ended"
    stream = Stream.objects.get(pk=created["id"])
    assert stream.state == "ended"
    assert stream.ended_by == streamer.username
    assert nginx("on_update", stream.internal_name).status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        pytest.param("post", "/end", id="end"),
        pytest.param("post", "/rotate_key", id="rotate"),
        pytest.param("delete", "", id="delete"),
    ],
)
def test_another_accounts_stream_is_not_found_and_unchanged(
    streamer, create_stream, nginx, client_for, method, suffix
):
    created = create_stream(streamer)
    nginx("on_publish", created["ingest"]["stream_key"])
    before = Stream.objects.values().get(pk=created["id"])

    response = getattr(client_for(UserFactory()), method)(f"{STREAMS}/{created['id']}{suffix}")

    assert response.status_code == 404
    assert Stream.objects.values().get(pk=created["id"]) == before


def test_an_unknown_stream_is_not_found(user, client_for):
    assert client_for(user).get(f"{STREAMS}/123456789").status_code == 404
    assert client_for(user).post(f"{STREAMS}/123456789/end").status_code == 404


def test_a_live_stream_cannot_be_deleted(streamer, create_stream, nginx, client_for):
    created = create_stream(streamer)
    nginx("on_publish", created["ingest"]["stream_key"])

    response = client_for(streamer).delete(f"{STREAMS}/{created['id']}")

    assert response.status_code == 409
    assert Stream.objects.get(pk=created["id"]).state == "live"


@pytest.mark.parametrize("end_first", [False, True], ids=["idle", "ended"])
def test_an_idle_or_ended_stream_is_deleted(streamer, create_stream, client_for, end_first):
    created = create_stream(streamer)
    client = client_for(streamer)
    if end_first:
        client.post(f"{STREAMS}/{created['id']}/end")

    response = client.delete(f"{STREAMS}/{created['id']}")

    assert response.status_code == 200
    assert response.json()["id"] == created["id"]
    assert not Stream.objects.filter(pk=created["id"]).exists()


def test_a_read_only_token_cannot_create(user, token_for):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scope='read')}")
    response = client.post(STREAMS, {"title": "nope"}, format="json")
    assert response.status_code == 403
    assert not Stream.objects.exists()
