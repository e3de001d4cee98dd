"""The live chat end to end: a real ASGI server (uvicorn), channels-redis, PostgreSQL, a Celery worker.

Clients speak to the server over real WebSockets. The server is restarted in the middle of a
conversation: what it acknowledged is still there after the restart.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, closing
from pathlib import Path

import pytest
from websockets.sync.client import connect

from apps.live.models import Stream
from apps.live.services import live_allow
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.integration.conftest import _test_database_url
from tests.integration.test_moderation_pipeline import pipeline_on  # noqa: F401 (a fixture)

pytestmark = pytest.mark.integration

BASE_DIR = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30
EVENT_SECONDS = 10
# The worker loads moderation's model before it assesses the first message.
MODERATION_SECONDS = 90
# Longer than channels-redis's blocking receive (5 s) with redis-py's default read timeout.
IDLE_SECONDS = 12


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AsgiServer:
    """Agora's ASGI application under uvicorn, as ``make run`` serves it, on the test database."""

    def __init__(self, log_dir: Path) -> None:
        self.port = _free_port()
        self.log_path = log_dir / "uvicorn.log"
        self.process: subprocess.Popen | None = None
        self.sockets = ExitStack()

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": _test_database_url(), "LOG_FORMAT": "text"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    str(Path(sys.executable).with_name("uvicorn")),
                    "config.asgi:application",
                    "--app-dir",
                    "platform",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--lifespan",
                    "off",
                    "--no-proxy-headers",
                    "--timeout-graceful-shutdown",
                    "5",
                ],  # fmt: skip
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"uvicorn exited:\n{self.log()}", pytrace=False)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"uvicorn did not listen within {STARTUP_SECONDS}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def chat(self, stream_id, token: str | None = None):
        url = f"ws://127.0.0.1:{self.port}/ws/live/{stream_id}/chat/"
        if token:
            url += f"?access_token={token}"
        return Chat(
            self.sockets.enter_context(
                connect(url, origin="http://127.0.0.1", open_timeout=EVENT_SECONDS)
            )
        )


class Chat:
    """One client's socket: it joined, and read its history."""

    def __init__(self, socket) -> None:
        self.socket = socket
        joined = self.next()
        assert joined["event"] == "history", joined
        self.history = joined["payload"]["messages"]

    def next(self, seconds: float = EVENT_SECONDS) -> dict:
        return json.loads(self.socket.recv(timeout=seconds))

    def next_of(self, event: str, seconds: float = EVENT_SECONDS) -> dict:
        """The next ``event``, skipping others (viewer counts)."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {event} within {seconds}s"
            received = self.next(left)
            if received["event"] == event:
                return received["payload"]

    def send(self, **frame) -> None:
        self.socket.send(json.dumps(frame))

    def say(self, text: str, nonce: str) -> dict:
        """Send a message; the acknowledgement (or the refusal) it got."""
        self.send(type="message", text=text, nonce=nonce)
        deadline = time.monotonic() + EVENT_SECONDS
        while True:
            received = self.next(max(0.1, deadline - time.monotonic()))
            if received["event"] in {"ack", "error"}:
                return received

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def server(transactional_db, tmp_path):
    running = AsgiServer(tmp_path)
    running.start()
    with running.sockets:
        yield running
    running.stop()


@pytest.fixture
def stream(transactional_db):
    streamer = UserFactory(username="chat_streamer")
    live_allow(account=streamer, actor="tests")
    stream = Stream.objects.create(
        account=streamer, title="Chat night", key_hash="0" * 64, internal_name="chatnight",
        state=Stream.State.LIVE,
    )  # fmt: skip
    return stream


def _token(user) -> str:
    return AccessTokenFactory(user=user, scope="read write").token


def test_messages_arrive_in_order_and_an_acknowledged_one_survives_a_server_restart(server, stream):
    # given two signed-in chatters and an anonymous reader
    alice, bob = UserFactory(username="chat_alice"), UserFactory(username="chat_bob")
    a, b = server.chat(stream.pk, _token(alice)), server.chat(stream.pk, _token(bob))
    reader = server.chat(stream.pk)

    # when they talk
    assert a.say("first", "a1")["event"] == "ack"
    assert b.say("second", "b1")["event"] == "ack"
    assert a.say("third", "a2")["event"] == "ack"

    # then everybody hears the messages in the order they were stored
    heard = [reader.next_of("message")["text"] for _ in range(3)]
    assert heard == ["first", "second", "third"]

    # and the anonymous reader may not write
    refused = reader.say("lurker here", "r1")
    assert refused["event"] == "error"

    # when the server restarts mid-conversation
    for chat in (a, b, reader):
        chat.close()
    server.stop()
    server.start()

    # then a newcomer's history still holds every acknowledged message
    late = server.chat(stream.pk, _token(UserFactory(username="chat_late")))
    assert [m["text"] for m in late.history] == ["first", "second", "third"]
    late.close()


def test_an_idle_socket_stays_open_and_still_hears_the_room(server, stream):
    # given a reader that hears nothing for longer than the channel layer's blocking receive
    reader = server.chat(stream.pk)
    time.sleep(IDLE_SECONDS)

    # when somebody speaks
    speaker = server.chat(stream.pk, _token(UserFactory(username="chat_after_silence")))
    assert speaker.say("still there?", "s1")["event"] == "ack"

    # then the reader's socket is still open and hears it
    assert reader.next_of("message")["text"] == "still there?"
    reader.close()
    speaker.close()


def test_slow_mode_timeout_and_ban_through_real_sockets(server, stream):
    # given the streamer and a chatter
    owner = server.chat(stream.pk, _token(stream.account))
    carol = UserFactory(username="chat_carol")
    chatter = server.chat(stream.pk, _token(carol))

    # when the streamer turns slow mode on
    owner.send(type="mode", chat_settings={"slow_mode_seconds": 30})
    assert chatter.next_of("mode")["slow_mode_seconds"] == 30

    # then a second message within the interval is refused
    assert chatter.say("one", "c1")["event"] == "ack"
    slow = chatter.say("two", "c2")
    assert (slow["event"], slow["payload"]["code"]) == ("error", "slow_mode")

    # when the streamer bans the chatter
    owner.send(type="ban", account_id=str(carol.pk), reason="spam")
    assert chatter.next_of("ban")["account_id"] == str(carol.pk)

    # then the chatter can no longer write, even after slow mode
    owner.send(type="mode", chat_settings={"slow_mode_seconds": 0})
    chatter.next_of("mode")
    banned = chatter.say("let me back", "c3")
    assert banned["event"] == "error"
    owner.close()
    chatter.close()


@pytest.mark.usefixtures("pipeline_on")
def test_an_offensive_message_is_deleted_for_everyone(server, stream):
    # given a chatter and a reader, with moderation running in the worker
    dave = UserFactory(username="chat_dave")
    chatter = server.chat(stream.pk, _token(dave))
    reader = server.chat(stream.pk)

    # when the chatter insults someone
    ack = chatter.say("You are a worthless fucking idiot and everyone hates you", "d1")
    assert ack["event"] == "ack"
    said = reader.next_of("message")

    # then the moderation pipeline deletes it for everyone
    deleted = reader.next_of("delete", MODERATION_SECONDS)
    assert deleted["id"] == said["id"]
    assert chatter.next_of("delete", EVENT_SECONDS)["id"] == said["id"]
    # and a newcomer does not see it
    late = server.chat(stream.pk)
    assert said["id"] not in {m["id"] for m in late.history}
    for chat in (chatter, reader, late):
        chat.close()
