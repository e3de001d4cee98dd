"""The watch page, ``/live/<id>``: the stream for those who may see it, nothing of it otherwise."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from apps.live.models import Stream
from apps.live.services.playback import playback_signed_name
from tests.accounts.factories import UserFactory
from tests.feed.factories import FollowFactory

pytestmark = pytest.mark.django_db

STATIC = Path(__file__).resolve().parents[2] / "static" / "live"


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _video_url(html: str) -> str:
    found = re.search(r'id="live-video"[^>]*data-hls-url="([^"]+)"', html, re.DOTALL)
    assert found, html
    return found.group(1).replace("&amp;", "&")


def test_a_public_stream_plays_for_an_anonymous_viewer(
    streamer, create_stream, django_assert_max_num_queries
):
    # given
    created = create_stream(streamer, title="Speedrun <night>", description="Any%")
    stream = Stream.objects.get(pk=created["id"])

    # when
    with django_assert_max_num_queries(4):
        response = _client().get(f"/live/{stream.pk}")

    # then the page shows the stream, plays its plain URL through the vendored hls.js,
    # and leaves the chat its element
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Speedrun &lt;night&gt;" in html
    assert f"@{streamer.username}" in html
    assert 'data-state="idle"' in html
    assert _video_url(html) == f"https://agora.test/live/hls/{stream.internal_name}/index.m3u8"
    assert 'src="/static/live/hls.min.js"' in html
    assert 'src="/static/live/watch.js"' in html
    assert f'<section id="live-chat" data-stream-id="{stream.pk}"' in html
    assert "data-renew-url" not in html
    assert "//cdn" not in html


def test_a_follower_gets_a_signed_url_and_can_renew_it(streamer, create_stream, settings):
    # given a followers stream and a signed-in follower
    settings.LIVE_PLAYBACK_TTL_SECONDS = 120
    created = create_stream(streamer, visibility="followers")
    stream = Stream.objects.get(pk=created["id"])
    follower = UserFactory()
    FollowFactory(account=follower, target=streamer)
    client = _client(follower)

    # when
    html = client.get(f"/live/{stream.pk}").content.decode()
    renewed = client.get(f"/live/{stream.pk}/playback")

    # then the page plays a signed URL of this stream, renewed halfway through its life
    assert playback_signed_name(url=_video_url(html)) == stream.internal_name
    assert f'data-renew-url="/live/{stream.pk}/playback"' in html
    assert 'data-renew-seconds="60"' in html
    assert renewed.status_code == 200
    assert renewed["Cache-Control"].startswith("max-age=0")
    assert playback_signed_name(url=json.loads(renewed.content)["hls_url"]) == (
        stream.internal_name
    )


@pytest.mark.parametrize("visibility", ["followers", "subscribers"])
@pytest.mark.parametrize("viewer_kind", ["anonymous", "stranger"])
def test_a_viewer_not_allowed_gets_a_404_page_without_the_stream(
    streamer, create_stream, visibility, viewer_kind
):
    # given
    created = create_stream(streamer, title="Members night", visibility=visibility)
    stream = Stream.objects.get(pk=created["id"])
    client = _client(None if viewer_kind == "anonymous" else UserFactory())

    # when
    page = client.get(f"/live/{stream.pk}")
    renewal = client.get(f"/live/{stream.pk}/playback")

    # then neither the page nor the renewal names the stream; anonymous is offered sign-in
    html = page.content.decode()
    assert page.status_code == 404
    assert 'id="live-unavailable"' in html
    assert stream.internal_name not in html
    assert "Members night" not in html
    assert 'id="live-video"' not in html
    assert ('id="live-sign-in"' in html) is (viewer_kind == "anonymous")
    if viewer_kind == "anonymous":
        assert f'href="/auth/login/?next=%2Flive%2F{stream.pk}"' in html
    assert renewal.status_code == 404
    assert json.loads(renewal.content) == {"error": "Record not found"}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/live/999999999", 404, id="unknown-stream"),
        pytest.param("/live/abc", 404, id="not-an-id"),
        pytest.param("/live/999999999/playback", 404, id="unknown-playback"),
    ],
)
def test_bad_paths_are_404_pages(db, path, status):
    assert _client().get(path).status_code == status


def test_the_page_is_read_only(streamer, create_stream):
    created = create_stream(streamer)

    assert _client().post(f"/live/{created['id']}").status_code == 405
    assert _client().post(f"/live/{created['id']}/playback").status_code == 405


def test_without_a_playback_secret_a_followers_stream_shows_no_video(
    streamer, create_stream, settings
):
    settings.LIVE_PLAYBACK_SECRET = ""
    created = create_stream(streamer, visibility="followers")

    html = _client(streamer).get(f"/live/{created['id']}").content.decode()

    assert 'id="live-video-unavailable"' in html
    assert 'id="live-video"' not in html


def test_the_vendored_hls_js_is_the_version_the_lockfile_pins():
    # `make vendor` re-derives static/live/hls.min.js from the lockfile
    lock = json.loads((STATIC / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/hls.js"]["version"]
    assert json.loads((STATIC / "package.json").read_text())["dependencies"]["hls.js"] == version
    assert f'="{version}"' in (STATIC / "hls.min.js").read_text()
