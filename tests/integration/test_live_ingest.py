"""Live ingest end to end: the real nginx with the RTMP module, configured from
``deploy/nginx-rtmp/``, calling a live Agora, fed by ffmpeg.

nginx runs as a subprocess under a temporary prefix, on free ports, with the config
rendered by ``deploy/nginx-rtmp/render.py``; its callbacks reach ``live_server``. It
records into the session's ``LIVE_RECORDINGS_DIR``, which the Celery worker reads to make
the replay. The watch page is served by Agora's ASGI application under uvicorn (in a
thread, as tests/clients does), since its chat is a WebSocket that ``live_server`` (WSGI)
cannot serve; room events reach it through the Redis channel layer.
Without nginx, its RTMP module or ffmpeg the tests fail, naming what is missing.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

from apps.live.models import ChatMessage, Stream
from apps.live.services import live_allow, stream_create, stream_kill
from apps.live.services.playback import playback_hls_url, playback_signed_url
from apps.live.services.viewers import viewer_counts_fold
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient
from tests.security.staff import staff_member, verified_client

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
NGINX = "/usr/sbin/nginx"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
PLAYBACK_SECRET = "integration-live-playback"
UPDATE_INTERVAL_SECONDS = 2
READY_SECONDS = 10
LIVE_SECONDS = 15
PLAYLIST_SECONDS = 25
REPLAY_SECONDS = 180
CHAT_SECONDS = 10


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(condition, seconds: float, what: str, *, log=lambda: ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} within {seconds}s\n{log()}", pytrace=False)


def _require_binaries() -> None:
    missing = [
        path
        for path, present in (
            (NGINX, os.access(NGINX, os.X_OK)),
            (RTMP_MODULE, os.path.exists(RTMP_MODULE)),
            ("ffmpeg", shutil.which("ffmpeg")),
            ("ffprobe", shutil.which("ffprobe")),
        )
        if not present
    ]
    if missing:
        pytest.fail(
            f"live ingest needs {', '.join(missing)}: run `make system` "
            "(Debian: nginx libnginx-mod-rtmp ffmpeg)",
            pytrace=False,
        )


class Nginx:
    def __init__(self, root: Path, upstream: str, callback_secret: str, record_dir: Path):
        self.root = root
        self.rtmp_port, self.http_port = _free_port(), _free_port()
        self.hls_dir, self.record_dir = root / "hls", record_dir
        self.log_dir = root / "log"
        values = {
            "RTMP_PORT": self.rtmp_port,
            "HTTP_PORT": self.http_port,
            "BIND": "127.0.0.1",
            "AGORA_UPSTREAM": upstream,
            "CALLBACK_SECRET": callback_secret,
            "PLAYBACK_SECRET": PLAYBACK_SECRET,
            "HLS_DIR": self.hls_dir,
            "RECORD_DIR": self.record_dir,
            "RUN_DIR": root / "run",
            "LOG_DIR": self.log_dir,
            "LOG_LEVEL": "info",
            "UPDATE_INTERVAL": f"{UPDATE_INTERVAL_SECONDS}s",
            "PLAYABLE_CACHE": "1s",
            "NGINX_USER": pwd.getpwuid(os.geteuid()).pw_name,
        }
        rendered = subprocess.run(  # noqa: S603
            [sys.executable, str(BASE_DIR / "deploy/nginx-rtmp/render.py"),
             *[f"--set={name}={value}" for name, value in values.items()],
             "--output", str(root / "nginx.conf")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert rendered.returncode == 0, rendered.stderr
        with (root / "nginx.stderr").open("wb") as stderr:
            self.process = subprocess.Popen(  # noqa: S603
                [NGINX, "-p", str(root), "-c", str(root / "nginx.conf"),
                 "-g", "daemon off; master_process on;"],
                stdout=subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip
        for port in (self.rtmp_port, self.http_port):
            _wait(
                lambda port=port: self._accepts(port),
                READY_SECONDS,
                "nginx listening",
                log=self.log,
            )

    def _accepts(self, port: int) -> bool:
        if self.process.poll() is not None:
            pytest.fail(
                f"nginx exited with {self.process.returncode}:\n{self.log()}", pytrace=False
            )
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def log(self) -> str:
        parts = []
        for path in sorted(self.log_dir.glob("*.log")) + [self.root / "nginx.stderr"]:
            if path.exists() and path.name != "access.log":
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def push(self, key: str, *, seconds: int) -> subprocess.Popen:
        """ffmpeg pushing ``seconds`` of a 720p30 test picture and a tone, as an encoder does
        (keyframes every 2 s, as Agora asks encoders for)."""
        return subprocess.Popen(  # noqa: S603
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
             "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
             "-f", "lavfi", "-i", "sine=frequency=440", "-t", str(seconds),
             "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-c:a", "aac",
             "-f", "flv", f"rtmp://127.0.0.1:{self.rtmp_port}/live/{key}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def nginx(live_server, live_callback_secret, live_recordings_dir, tmp_path, settings):
    _require_binaries()
    server = Nginx(tmp_path / "nginx", live_server.url, live_callback_secret, live_recordings_dir)
    settings.LIVE_PLAYBACK_SECRET = PLAYBACK_SECRET
    settings.LIVE_HLS_BASE_URL = f"http://127.0.0.1:{server.http_port}/live/hls"
    yield server
    server.stop()


class AsgiServer:
    """Agora's ASGI application (HTTP and WebSocket) under uvicorn in a thread, on one port
    across restarts; ``url`` is its base URL.

    In this process, so it shares the test's database and settings (the playback URLs the
    ``nginx`` fixture sets). Static files are served as ``runserver`` serves them:
    WhiteNoise's file responses are synchronous iterators, which Django's ASGI handler
    warns about (and a warning fails a test).
    """

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start()

    def start(self) -> None:
        import uvicorn
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        from config.asgi import application

        self.listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listening.bind(("127.0.0.1", self.port))
        self.server = uvicorn.Server(
            uvicorn.Config(
                ASGIStaticFilesHandler(application), lifespan="off", log_level="warning",
                ws="websockets-sansio", access_log=False,
            )
        )  # fmt: skip
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.listening]}, daemon=True
        )
        self.thread.start()
        _wait(lambda: self.server.started, READY_SECONDS, "uvicorn serving")

    def stop(self) -> None:
        """Shut down as a deployment's restart does: open sockets are closed (1012)."""
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.listening.close()


@pytest.fixture
def asgi_server(live_server):
    """An :class:`AsgiServer`; after ``live_server``, so the database is open to threads."""
    server = AsgiServer()
    yield server
    server.stop()


@pytest.fixture
def streamer(transactional_db):
    account = UserFactory()
    live_allow(account=account, actor="tests")
    return account


@pytest.fixture
def chromium():
    """Headless Chromium (as tests/browser drives it), closed after the test."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.fail("Chromium and chromedriver are not installed: run `make system`", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--autoplay-policy=no-user-gesture-required"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    yield driver
    driver.quit()


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Content-Type", "")


def _state(stream: Stream) -> str:
    return Stream.objects.values_list("state", flat=True).get(pk=stream.pk)


def _api_client(user) -> APIClient:
    client = APIClient()
    token = AccessTokenFactory(user=user, scope="read write").token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _stop(push: subprocess.Popen) -> None:
    if push.poll() is None:
        push.kill()
    push.wait()
    push.stderr.close()


def test_a_followers_stream_goes_live_with_the_ladder_and_signed_playback_then_its_replay(
    nginx, streamer, celery_worker_process
):
    # given a followers stream and an encoder pushing 720p30 with its key
    stream, key = stream_create(account=streamer, title="Ladder", visibility="followers")
    other, _other_key = stream_create(account=streamer, title="Other", visibility="followers")
    push = nginx.push(key, seconds=LIVE_SECONDS)
    try:
        # then it goes live in Agora, and the master playlist appears under the internal name
        _wait(lambda: _state(stream) == "live", READY_SECONDS, "the stream live", log=nginx.log)
        master_path = nginx.hls_dir / stream.internal_name / "index.m3u8"
        _wait(
            master_path.exists,
            PLAYLIST_SECONDS,
            "the master playlist",
            log=nginx.log,
        )
        assert not (nginx.hls_dir / key).exists()
        assert sorted(path.name for path in nginx.hls_dir.iterdir()) == [stream.internal_name]

        # the URL Agora gives an allowed viewer plays; the plain one does not
        url = playback_hls_url(stream=stream)
        assert url is not None
        assert "/s/" in url
        status, body, content_type = _get(url)
        assert (status, content_type) == (200, "application/vnd.apple.mpegurl")
        master = body.decode()
        resolutions = re.findall(r"RESOLUTION=(\d+)x(\d+)", master)
        assert sorted(int(height) for _width, height in resolutions) == [360, 480, 720]
        assert master.count("CODECS=") == 3
        assert "BANDWIDTH=" in master
        plain = f"http://127.0.0.1:{nginx.http_port}/live/hls/{stream.internal_name}/index.m3u8"
        assert _get(plain)[0] == 403

        # every rendition's playlist and segments play through the signed prefix, 2 s each
        directory = url.rsplit("/", 1)[0]
        variants = re.findall(r"^(\w+/index\.m3u8)$", master, re.MULTILINE)
        assert sorted(variants) == ["360p/index.m3u8", "480p/index.m3u8", "source/index.m3u8"]
        for variant in variants:

            def segments(variant=variant):
                status, body, _type = _get(f"{directory}/{variant}")
                found = re.findall(r"#EXTINF:([\d.]+),\n(\S+)", body.decode())
                return found if status == 200 and len(found) >= 2 else None

            found = _wait(segments, PLAYLIST_SECONDS, f"two segments of {variant}")
            for duration, _name in found:
                assert 1.9 <= float(duration) <= 2.1, (variant, found)
            segment = f"{directory}/{variant.split('/')[0]}/{found[0][1]}"
            status, body, content_type = _get(segment)
            assert (status, content_type) == (200, "video/mp2t")
            assert body[:1] == b"G"  # an MPEG-TS sync byte

        # an expired, a tampered, or another stream's URL is refused
        expired = playback_signed_url(stream=stream, expires=int(time.time()) - 1)
        assert _get(expired)[0] == 403
        prefix, token, name, file = url.rsplit("/", 3)
        flipped = ("A" if token[0] != "A" else "B") + token[1:]
        assert _get(f"{prefix}/{flipped}/{name}/{file}")[0] == 403
        assert _get(f"{prefix}/{token}/{other.internal_name}/{file}")[0] == 403

        # when the encoder stops, the stream ends (on_publish_done)
        push.wait(timeout=LIVE_SECONDS + 10)
        _wait(lambda: _state(stream) == "ended", READY_SECONDS, "the stream ended", log=nginx.log)
    finally:
        _stop(push)

    # then nginx's on_record_done hands the recording to the worker, which remuxes it and
    # runs it through the media pipeline: the owner sees the replay, a video, and the
    # recording is deleted (it was named by the internal name, never by the key)
    owner = _api_client(streamer)

    def replay() -> dict | None:
        found = owner.get(f"/api/agora/v1/live/streams/{stream.pk}")
        assert found.status_code == 200, found.content
        replay = found.json()["replay"]
        assert replay is None or replay["state"] != "failed", replay
        return replay if replay and replay["state"] == "ready" else None

    def logs() -> str:
        failure = Stream.objects.values_list("replay_failure", flat=True).get(pk=stream.pk)
        return f"replay_failure: {failure}\n{nginx.log()}\n{celery_worker_process.worker_log()}"

    ready = _wait(replay, REPLAY_SECONDS, "the replay ready", log=logs)
    assert ready["media_attachment"]["type"] == "video"
    assert ready["media_attachment"]["url"]
    assert not [
        path.name for path in nginx.record_dir.iterdir() if stream.internal_name in path.name
    ]
    assert not [path.name for path in nginx.record_dir.iterdir() if key in path.name]


@pytest.mark.parametrize("which", ["unknown", "rotated"])
def test_a_wrong_key_is_refused_and_the_stream_stays_idle(nginx, streamer, which):
    # given
    stream, key = stream_create(account=streamer, title="Refused")
    if which == "rotated":
        from apps.live.services import stream_rotate_key

        stream_rotate_key(stream=stream)
    else:
        key = "not-a-key-" + key[:10]

    # when the encoder pushes with it
    push = nginx.push(key, seconds=5)
    try:
        returncode = push.wait(timeout=10)
    finally:
        _stop(push)

    # then ffmpeg fails, the stream stays idle, and nothing was written
    assert returncode != 0
    assert _state(stream) == "idle"
    assert list(nginx.hls_dir.iterdir()) == []


def test_a_public_stream_plays_unsigned_and_the_kill_switch_ends_the_push_within_an_interval(
    nginx, streamer
):
    # given a public stream live from an encoder that would push a minute
    stream, key = stream_create(account=streamer, title="Public")
    push = nginx.push(key, seconds=60)
    try:
        _wait(lambda: _state(stream) == "live", READY_SECONDS, "the stream live", log=nginx.log)
        url = playback_hls_url(stream=stream)
        assert url == (
            f"http://127.0.0.1:{nginx.http_port}/live/hls/{stream.internal_name}/index.m3u8"
        )
        _wait(lambda: _get(url)[0] == 200, PLAYLIST_SECONDS, "the plain URL playing", log=nginx.log)

        # when staff kill it
        stream_kill(stream=Stream.objects.get(pk=stream.pk), actor="moderator", reason="spam")
        killed = time.monotonic()

        # then nginx drops the encoder at its next update (one interval, plus slack)
        push.wait(timeout=UPDATE_INTERVAL_SECONDS + 5)
        assert time.monotonic() - killed <= UPDATE_INTERVAL_SECONDS + 5
        assert _state(stream) == "ended"
    finally:
        _stop(push)


def _chat_texts(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#live-chat-messages .live-chat-text'))"
        ".map(function (e) { return e.textContent; });"
    )


def _text(driver, element_id: str) -> str:
    return driver.execute_script(f"return document.getElementById('{element_id}').textContent;")


def test_the_watch_page_plays_the_stream_and_shows_its_chat_in_headless_chromium(
    nginx, streamer, asgi_server, chromium, celery_worker_process
):
    # given a public stream live, a message already said in its chat, and a moderator
    stream, key = stream_create(account=streamer, title="On the page")
    viewer = UserFactory(display_name="Vee")
    chatter = _api_client(viewer)
    chat_path = f"/api/agora/v1/live/streams/{stream.pk}/chat/messages"
    moderator = verified_client(staff_member("moderator"))
    push = nginx.push(key, seconds=40)
    try:
        _wait(lambda: _state(stream) == "live", READY_SECONDS, "the stream live", log=nginx.log)
        assert (
            chatter.post(chat_path, {"text": "before you came"}, format="json").status_code == 200
        )
        master = nginx.hls_dir / stream.internal_name / "index.m3u8"
        _wait(master.exists, PLAYLIST_SECONDS, "the master playlist", log=nginx.log)

        # when a viewer opens the watch page (anonymous: its chat is read-only)
        chromium.get(f"{asgi_server.url}/live/{stream.pk}")

        # then hls.js plays it: the video's time advances
        def played() -> float:
            return chromium.execute_script(
                "var v = document.getElementById('live-video'); return v ? v.currentTime : 0;"
            )

        first = _wait(lambda: played() > 0.5 and played(), PLAYLIST_SECONDS, "the video playing")
        _wait(lambda: played() > first + 1.5, 10, "the video advancing")

        # and the chat shows the history, then a message sent through the API, as text
        _wait(lambda: _chat_texts(chromium) == ["before you came"], CHAT_SECONDS, "the history")
        said = chatter.post(chat_path, {"text": "hi <b>page</b>"}, format="json")
        assert said.status_code == 200, said.content
        _wait(
            lambda: _chat_texts(chromium) == ["before you came", "hi <b>page</b>"],
            CHAT_SECONDS,
            "the message on the page",
        )
        assert (
            chromium.execute_script(
                "return document.querySelectorAll('#live-chat-messages b').length;"
            )
            == 0
        )
        authors = chromium.execute_script(
            "return Array.from(document.querySelectorAll('#live-chat-messages .live-chat-author'))"
            ".map(function (e) { return e.textContent; });"
        )
        assert authors == ["Vee", "Vee"]
        assert "Sign in with an app to chat" in _text(chromium, "live-chat")

        # and the page's heartbeat and its chat socket count one viewer (the same viewer_id),
        # whose count it shows
        def counted() -> bool:
            viewer_counts_fold()
            return _text(chromium, "live-viewer-count") == "1"

        _wait(counted, CHAT_SECONDS, "one viewer shown (heartbeat and chat alike)")

        # when staff hide the message from the admin, then it disappears from the page
        message = ChatMessage.objects.get(text="hi <b>page</b>")
        hidden = moderator.post(
            reverse("admin:live_chatmessage_changelist"),
            {"action": "hide", "_selected_action": [message.pk]},
        )
        assert hidden.status_code == 302
        _wait(
            lambda: _chat_texts(chromium) == ["before you came"],
            CHAT_SECONDS,
            "the hidden message gone from the page",
        )

        # when the ASGI server restarts, and a message is said while the socket is down
        asgi_server.stop()
        _wait(
            lambda: "reconnecting" in _text(chromium, "live-chat-status"),
            CHAT_SECONDS,
            "the page seeing its socket drop",
        )
        said = chatter.post(chat_path, {"text": "while you were away"}, format="json")
        assert said.status_code == 200, said.content
        asgi_server.start()

        # then the page reconnects and the history it gets again holds that message
        _wait(
            lambda: _chat_texts(chromium) == ["before you came", "while you were away"],
            CHAT_SECONDS + 5,
            "the page reconnected with the message it missed",
        )
        assert _text(chromium, "live-chat-status") == ""
    finally:
        _stop(push)

    # and when the encoder stops, the page says the stream has ended
    _wait(
        lambda: _text(chromium, "live-chat-status") == "The stream has ended.",
        CHAT_SECONDS + READY_SECONDS,
        "the page telling the end",
        log=nginx.log,
    )
