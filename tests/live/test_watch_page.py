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


# The chat and the heartbeats: what the page's script needs --------------------------------


def _attribute(html: str, element_id: str, name: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*?\s{name}="([^"]*)"', html, re.DOTALL)
    assert found, (element_id, name)
    return found.group(1)


@pytest.mark.parametrize(
    ("visibility", "readable"),
    [
        pytest.param("public", "true", id="public"),
        pytest.param("unlisted", "true", id="unlisted"),
        pytest.param("followers", "false", id="followers"),
    ],
)
def test_the_page_reads_the_chat_anonymously_only_where_anybody_may(
    streamer, create_stream, visibility, readable
):
    # given a stream the streamer itself watches (a session, no access token)
    created = create_stream(streamer, visibility=visibility)

    # when
    html = _client(streamer).get(f"/live/{created['id']}").content.decode()

    # then the script gets the socket's path, and reads only a chat anybody may read
    assert _attribute(html, "live-chat", "data-socket-path") == f"/ws/live/{created['id']}/chat/"
    assert _attribute(html, "live-chat", "data-readable") == readable
    assert _attribute(html, "live-chat", "data-text-ended") == "The stream has ended."
    assert 'id="live-chat-messages"' in html
    assert 'id="live-viewer-count"' in html
    assert "Sign in with an app to chat." in html


def test_the_page_tells_its_script_whether_the_session_is_signed_in(streamer, create_stream):
    # given a public stream
    created = create_stream(streamer, visibility="public")

    # when a signed-in session and an anonymous one open its page
    signed = _client(streamer).get(f"/live/{created['id']}").content.decode()
    anonymous = _client().get(f"/live/{created['id']}").content.decode()

    # then the signed-in page's socket counts nothing (its heartbeats count the account),
    # the anonymous page's socket counts the player's own viewer id
    assert _attribute(signed, "live-chat", "data-signed-in") == "true"
    assert _attribute(anonymous, "live-chat", "data-signed-in") == "false"
    script = (STATIC / "watch.js").read_text()
    assert '"?presence=off"' in script
    assert '"?viewer_id=" + encodeURIComponent(agoraLiveViewerId())' in script


def test_the_page_has_no_inline_script_so_a_strict_csp_holds(streamer, create_stream):
    # a script-src 'self' policy forbids inline scripts and handlers: the page needs none
    created = create_stream(streamer)
    html = _client().get(f"/live/{created['id']}").content.decode()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL)

    assert scripts
    assert all('src="' in attributes and body.strip() == "" for attributes, body in scripts)
    assert not re.search(r"\son[a-z]+=", html)
    assert "innerHTML" not in (STATIC / "watch.js").read_text()


def _socket_opens(stream_id, origin: bytes) -> tuple[bool, object]:
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    async def attempt():
        socket = WebsocketCommunicator(
            application, f"/ws/live/{stream_id}/chat/", headers=[(b"origin", origin)]
        )
        connected, detail = await socket.connect(timeout=5)
        if connected:
            detail = await socket.receive_json_from(timeout=5)
            await socket.disconnect()
        return connected, detail

    return async_to_sync(attempt)()


@pytest.mark.django_db(transaction=True)
def test_the_chat_socket_accepts_the_pages_own_origin_and_refuses_another_sites(
    streamer, create_stream
):
    # given a public stream (the page's socket carries cookies, no token: origin-checked)
    created = create_stream(streamer)

    # when the page's own origin, then another site's, open the socket the page names
    own = _socket_opens(created["id"], b"http://localhost")
    foreign = _socket_opens(created["id"], b"https://elsewhere.example")

    # then the page reads the history; another site's page is refused
    assert own[0] is True
    assert own[1]["event"] == "history"
    assert foreign[0] is False


@pytest.fixture
def live_public_stream(streamer, create_stream, nginx):
    created = create_stream(streamer)
    assert nginx("on_publish", created["ingest"]["stream_key"]).status_code == 302
    return created["id"]


def _heartbeat(client: Client, html: str, **headers) -> tuple[int, dict]:
    url = _attribute(html, "live-heartbeat", "data-url")
    response = client.post(
        url, data=json.dumps({"viewer_id": "browser-tab-1"}), content_type="application/json",
        **headers,
    )  # fmt: skip
    return response.status_code, json.loads(response.content)


def test_an_anonymous_page_heartbeat_counts_a_viewer(live_public_stream):
    # given an anonymous browser on the watch page of a live stream
    client = Client(enforce_csrf_checks=True)
    html = client.get(f"/live/{live_public_stream}").content.decode()

    # when its script posts a heartbeat where the page says, every 15 s
    status, body = _heartbeat(client, html)

    # then it counts, with no CSRF token needed (no session to ride on)
    assert _attribute(html, "live-heartbeat", "data-seconds") == "15"
    assert status == 200, body
    assert body["viewers"] == 1


def test_a_signed_in_page_heartbeat_needs_the_pages_csrf_token(live_public_stream):
    # given a signed-in browser (a session cookie) on the watch page of a live stream
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    html = client.get(f"/live/{live_public_stream}").content.decode()
    token = _attribute(html, "live-heartbeat", "data-csrf-token")

    # when it posts without the token, then with the page's
    refused = _heartbeat(client, html)
    counted = _heartbeat(client, html, HTTP_X_CSRFTOKEN=token)

    # then the forged-looking one is refused and counted nothing; the page's counts
    assert refused[0] == 403
    assert "CSRF" in refused[1]["error"]
    assert counted[0] == 200, counted[1]
    assert counted[1]["viewers"] == 1
    assert counted[1]["watched_seconds"] == 0
