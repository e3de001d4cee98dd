"""Direct messages driven by the real Mastodon client library (Mastodon.py): send, list
conversations, mark read, delete, mute a thread; and the ``direct`` stream over WebSocket.

The REST scenario runs against pytest-django's live server; the stream against Agora's ASGI
application served by uvicorn (the ``asgi_server`` fixture of test_mastodon_py_feed.py).
"""

import threading

import pytest
from mastodon import StreamListener

from tests.accounts.factories import UserFactory
from tests.clients.test_mastodon_py_feed import (  # noqa: F401  (asgi_server is a fixture)
    asgi_server,
    client_for,
    wait_for,
)


@pytest.fixture
def three_clients(live_server, transactional_db):
    return tuple(
        client_for(UserFactory(username=name), live_server.url) for name in ("ann", "ben", "cat")
    )


def test_send_list_read_and_delete_conversations(three_clients):
    ann, ben, cat = three_clients

    # ann writes to ben; ben answers in the thread
    first = ann.status_post("@ben lunch tomorrow?", visibility="direct")
    assert first["visibility"] == "direct"
    answer = ben.status_post("@ann yes!", visibility="direct", in_reply_to_id=first["id"])

    # both list one conversation ending with the answer; ann's is unread
    (for_ann,) = ann.conversations()
    (for_ben,) = ben.conversations()
    assert str(for_ann["last_status"]["id"]) == str(answer["id"])
    assert [account["acct"] for account in for_ann["accounts"]] == ["ben"]
    assert (for_ann["unread"], for_ben["unread"]) == (True, False)
    assert cat.conversations() == []

    # ann marks hers read
    read = ann.conversations_read(for_ann["id"])
    assert read["unread"] is False
    assert ann.conversations()[0]["unread"] is False

    # paging with the library's own helpers follows the Link header
    ann.status_post("@cat hello", visibility="direct")
    page = ann.conversations(limit=1)
    assert len(page) == 1
    assert [str(c["id"]) for c in ann.fetch_next(page)] == [str(for_ann["id"])]

    # ben removes the conversation for himself (Mastodon.py has no helper for this call,
    # so it goes through the library's own request method)
    ben._Mastodon__api_request("DELETE", f"/api/v1/conversations/{for_ben['id']}")
    assert ben.conversations() == []
    assert len(ann.conversations()) == 2

    # ann mutes the thread; the status says so, for her
    assert ann.status_mute(first["id"])["muted"] is True
    assert ben.status(first["id"])["muted"] is False
    assert ann.status_unmute(first["id"])["muted"] is False


class ConversationCollector(StreamListener):
    def __init__(self):
        super().__init__()
        self.conversations: list = []
        self.arrived = threading.Event()

    def on_conversation(self, conversation):
        self.conversations.append(conversation)
        self.arrived.set()


@pytest.mark.usefixtures("private_mentions_accepted")
def test_the_direct_stream_delivers_conversations(asgi_server):  # noqa: F811
    ann = client_for(UserFactory(username="ann"), asgi_server)
    ben = client_for(UserFactory(username="ben"), asgi_server)
    collector = ConversationCollector()

    handle = ben.stream_open_websocket(listener=collector)
    try:
        ben.stream_direct(collector, websocket_handle=handle)
        # The subscription is not acknowledged: ben's own notes to self show it is live.
        for _attempt in range(20):
            ben.status_post("probe", visibility="direct")
            if wait_for(lambda: bool(collector.conversations), timeout=0.5):
                break
        assert collector.conversations
        collector.conversations.clear()

        sent = ann.status_post("@ben over the stream", visibility="direct")

        assert wait_for(
            lambda: any(
                str(c["last_status"]["id"]) == str(sent["id"]) for c in collector.conversations
            )
        )
        found = next(
            c for c in collector.conversations if str(c["last_status"]["id"]) == str(sent["id"])
        )
        assert found["unread"] is True
        assert [account["acct"] for account in found["accounts"]] == ["ann"]
    finally:
        handle.close()
