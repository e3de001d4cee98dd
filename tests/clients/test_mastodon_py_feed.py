"""The real Mastodon client library (Mastodon.py) drives two accounts through the social core.

The REST scenario runs against pytest-django's live server (WSGI). Streaming needs an
ASGI server (WebSockets), so the streaming scenario serves Agora's ASGI application with
uvicorn in a thread, REST and WebSocket alike, as production does. Mastodon.py streams
over WebSocket with its ``websocket-streaming`` extra (the Server-Sent Events paths,
``/api/v1/streaming/user`` and the like, are tested in tests/feed/test_streaming_sse.py).
"""

import socket
import threading
import time

import pytest
import uvicorn
from mastodon import Mastodon, StreamListener

from tests.accounts.factories import AccessTokenFactory, UserFactory

SCOPES = "read write follow push"


def client_for(user, base_url: str) -> Mastodon:
    token = AccessTokenFactory(user=user, scope=SCOPES).token
    return Mastodon(access_token=token, api_base_url=base_url, version_check_mode="none")


@pytest.fixture
def two_clients(live_server, transactional_db):
    ann = UserFactory(username="ann")
    ben = UserFactory(username="ben")
    return client_for(ann, live_server.url), client_for(ben, live_server.url)


def ids(statuses) -> list[str]:
    return [str(status["id"]) for status in statuses]


def test_reading_position_and_preferences_as_mastodon_py_uses_them(two_clients):
    ann, _ben = two_clients
    first = ann.status_post("where I stopped")

    # one app saves where ann stopped; another reads it back
    saved = ann.markers_set("home", first["id"])
    found = ann.markers_get(["home", "notifications"])

    assert str(found["home"]["last_read_id"]) == str(first["id"])
    assert found["home"]["version"] == saved["home"]["version"] == 0
    assert "notifications" not in found
    assert ann.preferences()["posting:default:visibility"] == "public"


def test_two_accounts_post_follow_interact_and_read_their_timelines(two_clients):
    ann, ben = two_clients
    ann_id = str(ann.me()["id"])
    ben_id = str(ben.me()["id"])

    # ben follows ann; ann posts with a hashtag
    relationship = ben.account_follow(ann_id)
    assert relationship["following"] is True
    first = ann.status_post("Hello from ann #agora")
    assert first["content"].startswith("<p>Hello from ann")
    assert [tag["name"] for tag in first["tags"]] == ["agora"]

    # it reaches ben's home timeline
    assert ids(ben.timeline_home()) == [str(first["id"])]

    # ben favourites, reblogs and replies
    favourited = ben.status_favourite(first["id"])
    assert (favourited["favourited"], favourited["favourites_count"]) == (True, 1)
    reblog = ben.status_reblog(first["id"])
    assert str(reblog["reblog"]["id"]) == str(first["id"])
    reply = ben.status_post("@ann welcome!", in_reply_to_id=first["id"])
    assert str(reply["in_reply_to_id"]) == str(first["id"])
    assert str(reply["in_reply_to_account_id"]) == ann_id

    # the thread, from both sides
    context = ann.status_context(first["id"])
    assert (ids(context["ancestors"]), ids(context["descendants"])) == ([], [str(reply["id"])])
    assert ids(ben.status_context(reply["id"])["ancestors"]) == [str(first["id"])]
    shown = ann.status(first["id"])
    assert (shown["favourites_count"], shown["reblogs_count"], shown["replies_count"]) == (1, 1, 1)

    # ann's notifications: mention, reblog, favourite, follow (newest first)
    notifications = ann.notifications()
    assert [n["type"] for n in notifications] == ["mention", "reblog", "favourite", "follow"]
    assert {str(n["account"]["id"]) for n in notifications} == {ben_id}
    assert ann.notifications(types=["mention"])[0]["status"]["id"] == reply["id"]

    # the hashtag timeline
    assert ids(ben.timeline_hashtag("agora")) == [str(first["id"])]
    assert ids(ben.timeline_hashtag("elsewhere")) == []


def test_pagination_both_ways_with_the_link_header(two_clients):
    ann, ben = two_clients
    ben.account_follow(str(ann.me()["id"]))
    posted = [str(ann.status_post(f"status {n}")["id"]) for n in range(5)]
    newest_first = list(reversed(posted))

    first_page = ben.timeline_home(limit=2)
    second_page = ben.fetch_next(first_page)
    third_page = ben.fetch_next(second_page)
    back_to_first = ben.fetch_previous(second_page)

    assert ids(first_page) == newest_first[:2]
    assert ids(second_page) == newest_first[2:4]
    assert ids(third_page) == newest_first[4:]
    assert ids(back_to_first) == newest_first[:2]
    assert ben.fetch_next(third_page) == []


@pytest.fixture
def asgi_server(transactional_db, settings):
    """Agora's ASGI application served by uvicorn in a thread; yields its base URL."""
    from config.asgi import application

    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    # The instance's one base URL, as its operator would set it: clients take the
    # streaming URL from /api/v1/instance.
    settings.AGORA_DOMAIN = f"127.0.0.1:{port}"
    settings.AGORA_HTTPS = False
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            lifespan="off",
            log_level="warning",
            ws="websockets-sansio",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listening.close()


class Collector(StreamListener):
    """Remembers the statuses and notifications a stream delivers."""

    def __init__(self):
        super().__init__()
        self.updates: list = []
        self.notifications: list = []
        self.arrived = threading.Event()

    def on_update(self, status):
        self.updates.append(status)
        self.arrived.set()

    def on_notification(self, notification):
        self.notifications.append(notification)
        self.arrived.set()


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def listening_from(client: Mastodon, collector: Collector) -> None:
    """Wait until the server handled the subscription (a message on the socket, not acked):
    the client's own probe status comes back on its user stream."""
    for _attempt in range(20):
        probe = str(client.status_post("probe")["id"])
        if wait_for(lambda probe=probe: probe in ids(collector.updates), timeout=0.5):
            collector.updates.clear()
            return
    pytest.fail("the user stream never delivered the client's own status")


def test_a_followers_user_stream_receives_the_update(asgi_server):
    ann = client_for(UserFactory(username="ann"), asgi_server)
    ben = client_for(UserFactory(username="ben"), asgi_server)
    ben.account_follow(str(ann.me()["id"]))
    collector = Collector()

    handle = ben.stream_open_websocket(listener=collector)
    try:
        ben.stream_user(collector, websocket_handle=handle)
        listening_from(ben, collector)

        posted = ann.status_post("live from ann")

        assert wait_for(lambda: any(str(s["id"]) == str(posted["id"]) for s in collector.updates))
        update = next(s for s in collector.updates if str(s["id"]) == str(posted["id"]))
        assert update["content"] == posted["content"]
        assert update["account"]["acct"] == "ann"
    finally:
        handle.close()
