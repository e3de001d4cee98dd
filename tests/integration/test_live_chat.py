"""The live chat end to end: a real ASGI server (uvicorn), channels-redis, PostgreSQL, a Celery worker.

Clients speak to the server over real WebSockets; moderators use its HTTP API as apps do. One
server serves the module (each test has its own stream and accounts); it is restarted in the
middle of a conversation: what it acknowledged is still there after the restart.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import pytest
from django.utils import timezone
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from apps.live.models import ChatMessage, Stream
from apps.live.services import live_allow
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.integration.conftest import _test_database_url
from tests.integration.test_moderation_pipeline import pipeline_on  # noqa: F401 (a fixture)
from tests.integration.uvicorn import Uvicorn

pytestmark = pytest.mark.integration

STARTUP_SECONDS = 30
EVENT_SECONDS = 10
# The worker loads moderation's model before it assesses the first message.
MODERATION_SECONDS = 90
# Longer than channels-redis's blocking receive (5 s) with redis-py's default read timeout.
IDLE_SECONDS = 12
# A moderator's timeout short enough to watch it run out.
TIMEOUT_SECONDS = 2


class AsgiServer(Uvicorn):
    """Agora's ASGI application under uvicorn, as ``make run`` serves it, on the test database."""

    def __init__(self, log_dir: Path) -> None:
        super().__init__(
            log_dir / "uvicorn.log",
            {},
            extra=("--timeout-graceful-shutdown", "5"),
            startup_seconds=STARTUP_SECONDS,
        )
        self.sockets = ExitStack()

    def start(self) -> None:
        # The test database's name is known once the session made it.
        self.env = {**os.environ, "DATABASE_URL": _test_database_url(), "LOG_FORMAT": "text"}
        super().start()

    def _chat_url(self, stream_id, token: str | None) -> str:
        url = f"ws://127.0.0.1:{self.port}/ws/live/{stream_id}/chat/"
        return f"{url}?access_token={token}" if token else url

    def chat(self, stream_id, token: str | None = None):
        return Chat(
            self.sockets.enter_context(
                connect(
                    self._chat_url(stream_id, token),
                    origin="http://127.0.0.1",
                    open_timeout=EVENT_SECONDS,
                )
            )
        )

    def refused(self, stream_id, token: str | None = None) -> int:
        """The close code the server closed the chat's socket with before any event.

        A handshake the server refuses instead (HTTP 403) raises ``InvalidStatus``: a browser
        sees 1006 then, and cannot tell why.
        """
        with (
            connect(
                self._chat_url(stream_id, token),
                origin="http://127.0.0.1",
                open_timeout=EVENT_SECONDS,
            ) as opened,
            pytest.raises(ConnectionClosed) as closed,
        ):
            opened.recv(timeout=EVENT_SECONDS)
        assert closed.value.rcvd is not None, closed.value
        return closed.value.rcvd.code

    def api(self, method: str, path: str, token: str, body: dict | None = None):
        """``(status, JSON)`` of one request to the server's HTTP API, as ``token``."""
        request = urllib.request.Request(  # noqa: S310 (the test's own server)
            f"http://127.0.0.1:{self.port}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=EVENT_SECONDS) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


class Chat:
    """One client's socket: it joined, and read its history."""

    def __init__(self, socket) -> None:
        self.socket = socket
        # The text of every message event this socket received, in order.
        self.heard: list[str] = []
        joined = self.next()
        assert joined["event"] == "history", joined
        self.history = joined["payload"]["messages"]

    def next(self, seconds: float = EVENT_SECONDS) -> dict:
        received = json.loads(self.socket.recv(timeout=seconds))
        if received["event"] == "message":
            self.heard.append(received["payload"]["text"])
        return received

    def heard_until(self, text: str, seconds: float = EVENT_SECONDS) -> list[str]:
        """Every message text received, up to the first ``text`` (waiting for it)."""
        while text not in self.heard:
            self.next_of("message", seconds)
        return self.heard[: self.heard.index(text) + 1]

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

    def closed_with(self, seconds: float = EVENT_SECONDS) -> int:
        """The code the server closes this socket with (waiting for it, skipping events)."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"not closed within {seconds}s"
            try:
                self.next(left)
            except ConnectionClosed as closed:
                # No close frame received (rcvd None) is a dropped connection, not a code.
                return closed.rcvd.code if closed.rcvd is not None else -1


@pytest.fixture(scope="module")
def asgi_server(django_db_setup, tmp_path_factory):
    """One uvicorn for the module: starting and stopping it per test costs seconds each."""
    running = AsgiServer(tmp_path_factory.mktemp("uvicorn"))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def server(transactional_db, asgi_server):
    """The module's server (running), and the test's sockets, closed when it ends."""
    if asgi_server.process is not None and asgi_server.process.poll() is not None:
        pytest.fail(f"uvicorn exited:\n{asgi_server.log()}", pytrace=False)
    if asgi_server.process is None:  # a test that restarts it stopped halfway
        asgi_server.start()
    asgi_server.sockets = ExitStack()
    with asgi_server.sockets:
        yield asgi_server


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


def _texts(stream, author=None) -> list[str]:
    """What is stored of ``stream``'s chat (``author``'s only, when given), oldest first."""
    messages = ChatMessage.objects.filter(stream=stream).order_by("pk")
    if author is not None:
        messages = messages.filter(author=author)
    return list(messages.values_list("text", flat=True))


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
    # given the streamer, a chatter and an anonymous reader
    streamer_token = _token(stream.account)
    owner = server.chat(stream.pk, streamer_token)
    carol = UserFactory(username="chat_carol")
    chatter = server.chat(stream.pk, _token(carol))
    reader = server.chat(stream.pk)

    # when the streamer turns slow mode on
    owner.send(type="mode", chat_settings={"slow_mode_seconds": 30})
    assert chatter.next_of("mode")["slow_mode_seconds"] == 30

    # then a second message within the interval is refused
    assert chatter.say("one", "c1")["event"] == "ack"
    slow = chatter.say("two", "c2")
    assert (slow["event"], slow["payload"]["code"]) == ("error", "slow_mode")

    # when the streamer turns slow mode off and times the chatter out through the API
    owner.send(type="mode", chat_settings={"slow_mode_seconds": 0})
    chatter.next_of("mode")
    status, timeout = server.api(
        "POST",
        f"/api/agora/v1/live/streams/{stream.pk}/chat/timeouts",
        streamer_token,
        {"account_id": str(carol.pk), "seconds": TIMEOUT_SECONDS, "reason": "cool down"},
    )
    assert status == 200, timeout

    # then every socket is told
    for chat in (owner, chatter, reader):
        told = chat.next_of("timeout")
        assert (told["account_id"], told["seconds"]) == (str(carol.pk), TIMEOUT_SECONDS)
    until = datetime.fromisoformat(told["until"])

    # and the chatter's next message is refused over its socket, and never stored
    muted = chatter.say("am I muted?", "c3")
    assert (muted["event"], muted["payload"]["code"]) == ("error", "timed_out")
    assert _texts(stream) == ["one"]

    # when the timeout has run out, the chatter speaks again (the reader hears nothing between)
    time.sleep(max(0.0, (until - timezone.now()).total_seconds()) + 0.2)
    assert chatter.say("back again", "c4")["event"] == "ack"
    assert reader.heard_until("back again") == ["one", "back again"]
    assert _texts(stream) == ["one", "back again"]

    # when the streamer bans the chatter
    owner.send(type="ban", account_id=str(carol.pk), reason="spam")
    assert chatter.next_of("ban")["account_id"] == str(carol.pk)

    # then the chatter can no longer write: refused as banned, nothing stored
    banned = chatter.say("let me back", "c5")
    assert (banned["event"], banned["payload"]["code"]) == ("error", "banned")
    assert _texts(stream) == ["one", "back again"]


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


# Each chat mode, set live by a channel moderator --------------------------------------


def _aged(name: str, *, days: int):
    return UserFactory(username=name, date_joined=timezone.now() - timedelta(days=days))


def _newcomers(streamer) -> tuple[Any, Any]:
    return UserFactory(username="mode_refused"), UserFactory(username="mode_allowed")


def _followers(streamer) -> tuple[Any, Any]:
    """A follower of two minutes (too short) and one of eleven."""
    from apps.feed.models import Follow

    recent, old = _newcomers(streamer)
    for follower, minutes in ((recent, 2), (old, 11)):
        follow = Follow.objects.create(account=follower, target=streamer)
        Follow.objects.filter(pk=follow.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes)
        )
    return recent, old


def _members(streamer) -> tuple[Any, Any]:
    """A fan who does not pay, and one paying for the streamer's tier: the rows Stripe's
    events leave (an active creator subscription to one of the streamer's tiers)."""
    from apps.billing.models import CreatorTier, Subscription

    stranger, fan = _newcomers(streamer)
    tier = CreatorTier.objects.create(
        creator=streamer, name="Supporter", amount=500, currency="eur",
        stripe_product_id=f"prod_{streamer.pk}", stripe_price_id=f"price_{streamer.pk}",
    )  # fmt: skip
    Subscription.objects.create(
        stripe_id=f"sub_{fan.pk}", kind=Subscription.Kind.CREATOR, account=fan, creator=streamer,
        creator_tier=tier, stripe_price_id=tier.stripe_price_id, status="active",
        current_period_end=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    return stranger, fan


def _by_age(streamer) -> tuple[Any, Any]:
    return _aged("mode_refused", days=1), _aged("mode_allowed", days=30)


def _by_reputation(streamer) -> tuple[Any, Any]:
    """An ordinary account of a hundred days, and one protection trusts as established."""
    from apps.protection.models import Reputation

    ordinary, veteran = _aged("mode_refused", days=100), _aged("mode_allowed", days=400)
    Reputation.objects.create(account=veteran, score=0.9, level="established")
    return ordinary, veteran


@dataclass(frozen=True)
class Mode:
    """A chat mode: the rules a moderator sets, the code a refused sender gets, and the
    accounts (refused, allowed) it is tried with."""

    rules: dict[str, Any]
    code: str
    accounts: Callable[[Any], tuple[Any, Any]] = _newcomers
    refused_text: str = "let me in"
    allowed_text: str = "hello there"
    # Messages the refused sender gets in before the refusal (the rate limit counts them).
    before: list[str] = field(default_factory=list)


MODES = [
    pytest.param(
        Mode({"max_length": 10}, "too_long", refused_text="x" * 11, allowed_text="y" * 10),
        id="max-length",
    ),
    pytest.param(
        Mode(
            {"rate_limit_messages": 2, "rate_limit_seconds": 60},
            "rate_limited",
            before=["first", "second"],
        ),  # fmt: skip
        id="rate-limit",
    ),
    pytest.param(
        Mode({"followers_only_minutes": 10}, "followers_only", _followers), id="followers"
    ),
    pytest.param(Mode({"subscribers_only": True}, "subscribers_only", _members), id="subscribers"),
    pytest.param(Mode({"min_account_age_days": 7}, "account_too_new", _by_age), id="account-age"),
    pytest.param(
        Mode({"established_only": True}, "established_only", _by_reputation), id="established"
    ),
    pytest.param(Mode({"emoji_only": True}, "emoji_only", allowed_text="🎉🔥"), id="emoji-only"),
]


@pytest.mark.parametrize("mode", MODES)
def test_each_chat_mode_set_by_a_channel_moderator_through_real_sockets(server, stream, mode):
    # given a channel moderator the streamer appointed through the API
    streamer = stream.account
    moderator = UserFactory(username="mode_moderator")
    status, body = server.api(
        "POST", "/api/agora/v1/live/channel/moderators", _token(streamer),
        {"account_id": str(moderator.pk)},
    )  # fmt: skip
    assert status == 200, body
    # and the streamer, the moderator, two chatters and an anonymous reader in the chat
    refused, allowed = mode.accounts(streamer)
    owner = server.chat(stream.pk, _token(streamer))
    mod = server.chat(stream.pk, _token(moderator))
    refused_chat = server.chat(stream.pk, _token(refused))
    allowed_chat = server.chat(stream.pk, _token(allowed))
    reader = server.chat(stream.pk)

    # when the moderator (not the streamer) turns the mode on
    mod.send(type="mode", chat_settings=mode.rules)

    # then every socket is told the rules now in force
    told = [chat.next_of("mode") for chat in (owner, mod, refused_chat, allowed_chat, reader)]
    assert all(rules == told[0] for rules in told), told
    assert told[0].items() >= mode.rules.items()
    stream.refresh_from_db()
    assert stream.chat_settings.items() >= mode.rules.items()

    # when the refused sender speaks (after what the mode still lets through)
    for number, text in enumerate(mode.before):
        assert refused_chat.say(text, f"before{number}")["event"] == "ack"
    refusal = refused_chat.say(mode.refused_text, "refused")

    # then it gets the mode's code over its socket, and nothing is stored
    assert refusal["event"] == "error", refusal
    assert refusal["payload"]["code"] == mode.code
    assert refusal["payload"]["error"]
    assert _texts(stream, refused) == mode.before

    # when the allowed sender speaks, the reader hears it right after what was let through
    assert allowed_chat.say(mode.allowed_text, "allowed")["event"] == "ack"
    assert reader.heard_until(mode.allowed_text) == [*mode.before, mode.allowed_text]
    # and so does the refused sender (its own messages may have come before its acks)
    assert refused_chat.heard_until(mode.allowed_text) == [*mode.before, mode.allowed_text]
    assert _texts(stream, allowed) == [mode.allowed_text]


# A blocked account ----------------------------------------------------------------------


def test_a_blocked_account_is_refused_and_its_message_reaches_nobody(server, stream):
    # given a chatter, an anonymous reader, and an account already in the chat
    streamer_token = _token(stream.account)
    alice, mallory = UserFactory(username="block_alice"), UserFactory(username="block_mallory")
    mallory_token = _token(mallory)
    chatter = server.chat(stream.pk, _token(alice))
    reader = server.chat(stream.pk)
    blocked = server.chat(stream.pk, mallory_token)

    # when the streamer blocks that account through the API
    status, relationship = server.api(
        "POST", f"/api/v1/accounts/{mallory.pk}/block", streamer_token
    )
    assert (status, relationship["blocking"]) == (200, True)

    # then the stream is invisible to it: its open socket is closed as for a stream it may not
    # see (4004; the block reaches the socket as the feed's AccountBlocked event), having
    # stored nothing
    assert blocked.closed_with() == 4004
    assert _texts(stream, mallory) == []

    # and a new socket is closed with 4004, as for a stream that does not exist
    assert server.refused(stream.pk, mallory_token) == 4004
    assert server.refused(99999999, _token(alice)) == 4004
    # while a token that is not one is closed with 4001
    assert server.refused(stream.pk, "not-a-token") == 4001

    # while the others still chat: the first thing they hear is the chatter, not the blocked
    assert chatter.say("hello everyone", "a1")["event"] == "ack"
    assert reader.heard_until("hello everyone") == ["hello everyone"]
    assert chatter.heard_until("hello everyone") == ["hello everyone"]
    assert _texts(stream) == ["hello everyone"]
