"""Playback URLs: plain for public streams, signed and short-lived for the others, and
nginx's auth_request for the plain path (``/internal/live/playable``)."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from apps.live.models import Stream
from apps.live.services.playback import playback_signed_name, playback_signed_url
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient
from tests.feed.factories import FollowFactory
from tests.live.conftest import SECRET

pytestmark = pytest.mark.django_db

STREAMS = "/api/agora/v1/live/streams"
BASE = "https://agora.test/live/hls"


@pytest.fixture
def paying_members():
    """``paying_members[fan_id]``: the creators the fan pays (billing's provider, stood in)."""
    from core import memberships

    creators_by_fan: dict[int, set[int]] = {}

    def membership(fan_id: int, creator_id: int):
        if creator_id not in creators_by_fan.get(fan_id, set()):
            return None
        return memberships.Membership(creator_id=creator_id, tier_id=1, tier="member")

    previous = (memberships._provider, memberships._bulk_provider)
    memberships.set_provider(
        membership, lambda fan_id: frozenset(creators_by_fan.get(fan_id, set()))
    )
    yield creators_by_fan
    memberships.set_provider(*previous)


def _stream(create_stream, streamer, visibility):
    created = create_stream(streamer, visibility=visibility)
    return created, Stream.objects.get(pk=created["id"])


def _read(client, stream_id):
    response = client.get(f"{STREAMS}/{stream_id}")
    return response.status_code, response.json()


@pytest.mark.parametrize("visibility", ["public", "unlisted"])
def test_a_public_or_unlisted_stream_plays_from_its_plain_url_for_anybody(
    streamer, create_stream, visibility
):
    # given
    _created, stream = _stream(create_stream, streamer, visibility)

    # when an anonymous viewer reads it
    status, body = _read(APIClient(), stream.pk)

    # then the URL is the plain one, which no signature is needed for
    assert status == 200
    assert body["playback"]["hls_url"] == f"{BASE}/{stream.internal_name}/index.m3u8"


@pytest.mark.parametrize(
    "viewer_kind", ["owner", "follower", "member"], ids=["owner", "follower", "member"]
)
def test_an_allowed_viewer_gets_a_signed_short_lived_url_of_that_stream_only(
    streamer, create_stream, client_for, paying_members, settings, viewer_kind
):
    # given a followers stream (a subscribers one for the member) and a viewer allowed to see it
    settings.LIVE_PLAYBACK_TTL_SECONDS = 600
    visibility = "subscribers" if viewer_kind == "member" else "followers"
    _created, stream = _stream(create_stream, streamer, visibility)
    viewer = streamer if viewer_kind == "owner" else UserFactory()
    if viewer_kind == "follower":
        FollowFactory(account=viewer, target=streamer)
    if viewer_kind == "member":
        paying_members[viewer.pk] = {streamer.pk}

    # when
    before = int(time.time())
    status, body = _read(client_for(viewer), stream.pk)

    # then the URL is signed, under the stream's internal name, expiring in the TTL
    assert status == 200
    url = body["playback"]["hls_url"]
    assert url.startswith(f"{BASE}/s/")
    assert url.endswith(f"/{stream.internal_name}/index.m3u8")
    expires = int(url[len(f"{BASE}/s/") :].split("/")[0])
    assert before + 600 <= expires <= int(time.time()) + 600
    assert playback_signed_name(url=url) == stream.internal_name
    # and it covers the variant playlists and segments the master names relatively
    directory = url.rsplit("/", 1)[0]
    for file in ("480p/index.m3u8", "360p/seg_00042.ts", "source/index.m3u8"):
        assert playback_signed_name(url=f"{directory}/{file}") == stream.internal_name
    # but not after it expires
    assert playback_signed_name(url=url, now=expires + 1) is None


def test_a_signed_url_opens_no_other_stream_and_no_tampered_one(streamer, create_stream):
    # given two followers streams and a valid URL for the first
    _one, first = _stream(create_stream, streamer, "followers")
    _two, second = _stream(create_stream, streamer, "followers")
    expires = int(time.time()) + 60
    url = playback_signed_url(stream=first, expires=expires)
    prefix, token, name, file = url.rsplit("/", 3)

    # then the same token with the other stream's directory, a later expiry, or a changed
    # token opens nothing; nor a path that climbs out of the directory
    assert playback_signed_name(url=url) == first.internal_name
    assert playback_signed_name(url=f"{prefix}/{token}/{second.internal_name}/{file}") is None
    later = prefix.replace(str(expires), str(expires + 3600))
    assert playback_signed_name(url=f"{later}/{token}/{name}/{file}") is None
    flipped = ("A" if token[0] != "A" else "B") + token[1:]
    assert playback_signed_name(url=f"{prefix}/{flipped}/{name}/{file}") is None
    assert (
        playback_signed_name(url=f"{prefix}/{token}/{name}/../{second.internal_name}/x.ts") is None
    )
    assert playback_signed_name(url=f"{BASE}/{name}/index.m3u8") is None


@pytest.mark.parametrize("visibility", ["followers", "subscribers"])
@pytest.mark.parametrize("viewer_kind", ["anonymous", "stranger", "blocked follower"])
def test_a_viewer_not_allowed_gets_a_404_and_never_the_url(
    streamer, create_stream, client_for, visibility, viewer_kind
):
    # given
    from apps.feed.models import Block

    _created, stream = _stream(create_stream, streamer, visibility)
    client = APIClient()
    if viewer_kind != "anonymous":
        viewer = UserFactory()
        client = client_for(viewer)
        if viewer_kind == "blocked follower":
            FollowFactory(account=viewer, target=streamer)
            Block.objects.create(account=streamer, target=viewer)

    # when
    response = client.get(f"{STREAMS}/{stream.pk}")

    # then, as for any stream they may not see: 404, and nothing of the stream
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}
    assert stream.internal_name not in response.content.decode()


def test_without_a_playback_secret_a_followers_stream_has_no_playback_url(
    streamer, create_stream, client_for, settings
):
    # given
    settings.LIVE_PLAYBACK_SECRET = ""
    _created, stream = _stream(create_stream, streamer, "followers")

    # when its owner reads it
    status, body = _read(client_for(streamer), stream.pk)

    # then no URL (nginx would refuse any), and no signature verifies
    assert status == 200
    assert body["playback"] == {"hls_url": None}
    assert playback_signed_name(url=f"{BASE}/s/1/{'A' * 22}/{stream.internal_name}/x.ts") is None


def test_the_live_list_signs_each_followers_stream_with_a_flat_query_count(
    streamer, create_stream, client_for, django_assert_max_num_queries
):
    # given a follower and several live followers streams of accounts it follows
    from apps.live.services import ingest_publish, live_allow

    viewer = UserFactory()
    streams = []
    for _ in range(3):
        owner = UserFactory()
        live_allow(account=owner, actor="tests")
        FollowFactory(account=viewer, target=owner)
        created = create_stream(owner, visibility="followers")
        ingest_publish(key=created["ingest"]["stream_key"])
        streams.append(Stream.objects.get(pk=created["id"]))
    client = client_for(viewer)

    # when
    with django_assert_max_num_queries(6):
        response = client.get(STREAMS)

    # then each has its own signed URL
    assert response.status_code == 200
    urls = {row["id"]: row["playback"]["hls_url"] for row in response.json()}
    assert set(urls) == {str(stream.pk) for stream in streams}
    for stream in streams:
        assert playback_signed_name(url=urls[str(stream.pk)]) == stream.internal_name


# nginx's auth_request for the plain path: may anybody play this stream unsigned?


def _playable(name: str, *, secret: str | None = SECRET, method: str = "get"):
    query = {"name": name} if secret is None else {"name": name, "secret": secret}
    return getattr(Client(), method)("/internal/live/playable", query)


@pytest.mark.parametrize(
    ("visibility", "status"),
    [("public", 204), ("unlisted", 204), ("followers", 403), ("subscribers", 403)],
)
def test_only_public_and_unlisted_streams_play_unsigned(
    streamer, create_stream, visibility, status
):
    _created, stream = _stream(create_stream, streamer, visibility)

    assert _playable(stream.internal_name).status_code == status


@pytest.mark.parametrize("standing", ["suspended", "disabled"])
def test_a_barred_owners_public_stream_does_not_play_unsigned(streamer, create_stream, standing):
    _created, stream = _stream(create_stream, streamer, "public")
    streamer.standing = standing
    streamer.save(update_fields=["standing"])

    assert _playable(stream.internal_name).status_code == 403


@pytest.mark.parametrize(
    ("name", "secret", "method", "status"),
    [
        pytest.param("0" * 32, SECRET, "get", 403, id="unknown-stream"),
        pytest.param("", SECRET, "get", 403, id="no-name"),
        pytest.param("PUBLIC", "wrong", "get", 403, id="wrong-secret"),
        pytest.param("PUBLIC", None, "get", 403, id="no-secret"),
        pytest.param("PUBLIC", SECRET, "post", 405, id="post"),
    ],
)
def test_the_playable_check_refuses_bad_requests(
    streamer, create_stream, name, secret, method, status
):
    _created, stream = _stream(create_stream, streamer, "public")
    name = stream.internal_name if name == "PUBLIC" else name

    assert _playable(name, secret=secret, method=method).status_code == status


def test_the_playable_check_answers_503_while_live_ingest_is_not_configured(
    streamer, create_stream, settings
):
    _created, stream = _stream(create_stream, streamer, "public")
    settings.LIVE_CALLBACK_SECRET = ""

    response = _playable(stream.internal_name)

    assert response.status_code == 503
    assert b"not configured" in response.content
