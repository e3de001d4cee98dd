"""``/ws/live/<id>/chat/``: joining, history, who may read and write, and bad frames."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.live.models import ChatMessage
from tests.accounts.factories import UserFactory
from tests.live.chat_support import (
    error,
    join,
    make_stream,
    next_event,
    refused_with,
    run,
    said,
    say,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def streamer(db):
    return UserFactory(username="streamer")


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer")


def test_two_clients_and_an_anonymous_reader_hear_a_message_in_order(streamer, viewer, token_for):
    # given a public stream, its streamer, a viewer and an anonymous reader in the chat
    stream = make_stream(streamer)
    streamer_token, viewer_token = token_for(streamer), token_for(viewer)

    async def scenario():
        streamer_socket, _ = await join(stream.pk, streamer_token)
        viewer_socket, _ = await join(stream.pk, viewer_token)
        anonymous, history = await join(stream.pk)
        assert history["messages"] == []
        assert history["chat_settings"]["max_length"] == 500

        # when the viewer says two things
        ack, first = await said(viewer_socket, "hello there", nonce="n-1")
        _ack, second = await said(viewer_socket, "second")

        # then the sender is acknowledged with the stored id and its nonce
        assert ack["payload"] == {"id": first["payload"]["id"], "nonce": "n-1"}
        # and everybody hears both, in order, with the author
        for socket in (streamer_socket, anonymous):
            heard = [await next_event(socket), await next_event(socket)]
            assert [e["event"] for e in heard] == ["message", "message"]
            assert [e["payload"]["text"] for e in heard] == ["hello there", "second"]
            assert heard[0]["payload"]["account"]["username"] == "viewer"
            assert heard[0]["payload"]["stream_id"] == str(stream.pk)
        for socket in (streamer_socket, viewer_socket, anonymous):
            assert await socket.receive_nothing(timeout=0.05)
            await socket.disconnect()

    run(scenario)
    # and the messages were stored
    assert list(ChatMessage.objects.values_list("text", flat=True).order_by("id")) == [
        "hello there",
        "second",
    ]


def test_joining_gets_the_last_50_visible_messages_oldest_first(streamer, viewer):
    # given 53 messages, one of them removed
    stream = make_stream(streamer)
    ChatMessage.objects.bulk_create(
        [ChatMessage(stream=stream, author=viewer, text=f"m{n}") for n in range(53)]
    )
    ChatMessage.objects.filter(text="m52").update(state=ChatMessage.State.REMOVED)

    async def scenario():
        # when an anonymous reader joins
        socket, history = await join(stream.pk)
        await socket.disconnect()
        return history

    history = async_result(scenario)
    # then it gets the 50 latest visible ones, oldest first, without the removed one
    texts = [message["text"] for message in history["messages"]]
    assert texts == [f"m{n}" for n in range(2, 52)]


def async_result(scenario):
    from asgiref.sync import async_to_sync

    return async_to_sync(scenario)()


@pytest.mark.parametrize("visibility", ["public", "unlisted"])
def test_an_anonymous_reader_may_read_but_not_write(streamer, visibility):
    stream = make_stream(streamer, visibility=visibility)

    async def scenario():
        socket, _ = await join(stream.pk)
        answer = await say(socket, {"type": "message", "text": "hi"})
        assert answer == error("unauthorized")
        # and the socket stays open
        assert await say(socket, {"type": "message", "text": "hi"}) == error("unauthorized")
        await socket.disconnect()

    run(scenario)
    assert not ChatMessage.objects.exists()


def test_a_read_only_token_reads_but_cannot_post(streamer, viewer, token_for):
    stream = make_stream(streamer)
    token = token_for(viewer, scope="read")

    async def scenario():
        socket, _ = await join(stream.pk, token)
        assert await say(socket, {"type": "message", "text": "hi"}) == error("insufficient_scope")
        await socket.disconnect()

    run(scenario)
    assert not ChatMessage.objects.exists()


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("bad-token", 4001),
        ("write-only-token", 4001),
        ("suspended-account", 4001),
        ("unknown-stream", 4004),
    ],
)
def test_sockets_refused(streamer, viewer, token_for, case, code):
    stream = make_stream(streamer)
    token = {
        "bad-token": "not-a-token",
        "write-only-token": token_for(viewer, scope="write"),
        "suspended-account": token_for(viewer),
        "unknown-stream": token_for(viewer),
    }[case]
    if case == "suspended-account":
        type(viewer).objects.filter(pk=viewer.pk).update(standing="suspended")
    stream_id = 99999999 if case == "unknown-stream" else stream.pk

    async def scenario():
        assert await refused_with(stream_id, token) == code

    run(scenario)


@pytest.mark.parametrize(("case", "code"), [("bad-token", 4001), ("unknown-stream", 4004)])
def test_a_refused_socket_is_accepted_then_closed_so_a_browser_sees_the_code(
    streamer, viewer, token_for, case, code
):
    # A socket closed before it is accepted is a handshake refused with HTTP 403: a browser
    # reports 1006 and the watch page would retry forever instead of saying it may not read.
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    stream = make_stream(streamer)
    token = "not-a-token" if case == "bad-token" else token_for(viewer)
    stream_id = 99999999 if case == "unknown-stream" else stream.pk

    async def scenario():
        # given the token offered as the subprotocol, as browsers send it
        communicator = WebsocketCommunicator(
            application,
            f"/ws/live/{stream_id}/chat/",
            headers=[(b"origin", b"http://localhost")],
            subprotocols=[token],
        )
        connected, subprotocol = await communicator.connect(timeout=5)
        # then the handshake completes, answering the subprotocol offered (or a browser fails it)
        assert (connected, subprotocol) == (True, token)
        # and the socket is closed with the reason's code, before anything is sent
        assert await communicator.receive_output(timeout=5) == {
            "type": "websocket.close",
            "code": code,
        }

    run(scenario)


@pytest.mark.parametrize("visibility", ["followers", "subscribers"])
def test_a_private_stream_refuses_strangers_and_anonymous(streamer, viewer, token_for, visibility):
    stream = make_stream(streamer, visibility=visibility)
    token = token_for(viewer)
    owner_token = token_for(streamer)

    async def scenario():
        assert await refused_with(stream.pk, token) == 4004
        assert await refused_with(stream.pk) == 4004
        # the streamer itself joins
        socket, _ = await join(stream.pk, owner_token)
        await socket.disconnect()

    run(scenario)


def test_a_follower_joins_a_followers_stream(streamer, viewer, token_for):
    from apps.feed.models import Follow

    Follow.objects.create(account=viewer, target=streamer)
    stream = make_stream(streamer, visibility="followers")
    token = token_for(viewer)

    async def scenario():
        socket, _ = await join(stream.pk, token)
        _ack, message = await said(socket, "hi from a follower")
        assert message["payload"]["text"] == "hi from a follower"
        await socket.disconnect()

    run(scenario)


def test_staff_may_read_a_private_stream(streamer, token_for):
    staff = UserFactory(is_staff=True)
    stream = make_stream(streamer, visibility="subscribers")
    token = token_for(staff)

    async def scenario():
        socket, _ = await join(stream.pk, token)
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "malformed_json"),
        ("[1, 2]", "missing_type"),
        ('{"text": "no type"}', "missing_type"),
        ('{"type": 7}', "missing_type"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "message"}', "empty"),
        ('{"type": "message", "text": ""}', "empty"),
        ('{"type": "message", "text": "   \\n "}', "empty"),
        ('{"type": "message", "text": 42}', "invalid_text"),
        ('{"type": "message", "text": ["a"]}', "invalid_text"),
        ('{"type": "message", "text": "' + "x" * 501 + '"}', "too_long"),
        ('{"type": "message", "text": "' + "x" * 9000 + '"}', "frame_too_large"),
        ('{"type": "message", "text": "hi", "nonce": 5}', "invalid_nonce"),
        ('{"type": "message", "text": "hi", "reply_to_id": "abc"}', "invalid_id"),
        ('{"type": "message", "text": "hi", "reply_to_id": "12345"}', "reply_to_invalid"),
        ('{"type": "delete"}', "invalid_id"),
        ('{"type": "delete", "id": "123"}', "not_found"),
        ('{"type": "timeout", "account_id": "1", "seconds": 5}', "not_moderator"),
        ('{"type": "ban", "account_id": "1"}', "not_moderator"),
        ('{"type": "mode", "chat_settings": {"emoji_only": true}}', "not_moderator"),
    ],
    ids=lambda value: value[:40] if isinstance(value, str) else value,
)
def test_bad_frames_get_a_clear_error_and_the_socket_stays_open(
    streamer, viewer, token_for, frame, code
):
    stream = make_stream(streamer)
    token = token_for(viewer)

    async def scenario():
        socket, _ = await join(stream.pk, token)
        await socket.send_to(text_data=frame)
        assert await next_event(socket) == error(code)
        # still open: a good message goes through
        _ack, message = await said(socket, "still here")
        assert message["payload"]["text"] == "still here"
        await socket.disconnect()

    run(scenario)
    assert list(ChatMessage.objects.values_list("text", flat=True)) == ["still here"]


def test_a_binary_frame_is_refused(streamer, viewer, token_for):
    stream = make_stream(streamer)
    token = token_for(viewer)

    async def scenario():
        socket, _ = await join(stream.pk, token)
        await socket.send_to(bytes_data=b'{"type": "message", "text": "hi"}')
        assert await next_event(socket) == error("binary_frame")
        await socket.disconnect()

    run(scenario)
    assert not ChatMessage.objects.exists()


def test_a_reply_names_the_message_replied_to(streamer, viewer, token_for):
    stream = make_stream(streamer)
    token = token_for(viewer)

    async def scenario():
        socket, _ = await join(stream.pk, token)
        _ack, first = await said(socket, "question?")
        _ack, reply = await said(socket, "answer", reply_to_id=first["payload"]["id"])
        assert reply["payload"]["reply_to_id"] == first["payload"]["id"]
        await socket.disconnect()

    run(scenario)


def test_posting_one_message_costs_a_flat_number_of_queries(streamer, viewer, token_for):
    from apps.live.services.chat import chat_message_post

    stream = make_stream(streamer)
    chat_message_post(author=viewer, stream_id=stream.pk, text="warm up")
    with CaptureQueriesContext(connection) as queries:
        chat_message_post(author=viewer, stream_id=stream.pk, text="counted")
    sql = [query["sql"] for query in queries]
    posting = sql[: sql.index("COMMIT") + 1]
    # one read (the stream with every rule's facts about the author), the message and its
    # outbox event in one transaction
    assert [statement.split()[0] for statement in posting] == [
        "SELECT", "BEGIN", "INSERT", "INSERT", "COMMIT",
    ], posting  # fmt: skip
    # then the event's in-process delivery to its handlers, in a transaction of its own
    assert len(sql) <= 20, "\n".join(statement[:150] for statement in sql)


def test_room_events_from_other_helpers_are_forwarded(streamer):
    from apps.live.services.rooms import room_send_now

    stream = make_stream(streamer)

    async def scenario():
        socket, _ = await join(stream.pk)
        await sync_to_async(room_send_now)(stream.pk, "viewer_count", {"count": 3})
        assert await next_event(socket) == {"event": "viewer_count", "payload": {"count": 3}}
        await socket.disconnect()

    run(scenario)


def test_the_history_on_joining_is_one_query_whatever_its_authors(streamer):
    from apps.live.services.chat import chat_history

    stream = make_stream(streamer)
    ChatMessage.objects.bulk_create(
        [ChatMessage(stream=stream, author=UserFactory(), text=f"m{n}") for n in range(10)]
    )
    with CaptureQueriesContext(connection) as queries:
        history = chat_history(stream=stream)
    assert len(history["messages"]) == 10
    assert len(queries) == 1
