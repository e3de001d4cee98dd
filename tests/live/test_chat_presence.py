"""Chat presence counts as watching: a chat socket is a viewer, signed in or not."""

import time

import pytest
from asgiref.sync import sync_to_async

from apps.live.models import Stream
from apps.live.services import viewers
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.live.chat_support import join, make_stream, run

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_chat_socket_counts_as_a_viewer_and_the_room_hears_the_count():
    # given a live stream
    stream = make_stream(UserFactory(username="presence_streamer"))
    Stream.objects.filter(pk=stream.pk).update(state=Stream.State.LIVE)
    token = AccessTokenFactory(user=UserFactory(username="presence_fan"), scope="read").token

    async def scenario():
        # when a signed-in fan and an anonymous reader join the chat
        fan, _history = await join(stream.pk, token)
        reader, _history = await join(stream.pk)

        # then both count as watching, once each
        counts = await sync_to_async(viewers.viewers_now)([stream.pk])
        assert counts[stream.pk] == 2

        # and the periodic fold tells the room
        await sync_to_async(viewers.viewer_counts_fold)()
        heard = await reader.receive_json_from(timeout=5)
        assert heard == {"event": "viewer_count", "payload": heard["payload"]}
        assert heard["payload"]["viewers"] == 2
        await fan.disconnect()
        await reader.disconnect()

    run(scenario)


def _connect(stream_id, query: str):
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    return WebsocketCommunicator(
        application,
        f"/ws/live/{stream_id}/chat/{query}",
        headers=[(b"origin", b"http://localhost")],
    )


def test_a_player_and_its_chat_socket_sending_the_same_viewer_id_count_once():
    # given a live stream an anonymous player beats for
    stream = make_stream(UserFactory(username="presence_player"))
    Stream.objects.filter(pk=stream.pk).update(state=Stream.State.LIVE)
    viewers.viewer_seen(stream.pk, viewers.viewer_key_for(viewer=None, anonymous_id="tab-12345678"))

    async def scenario():
        # when its page's chat socket joins with the player's viewer_id, and another tab's too
        page = _connect(stream.pk, "?viewer_id=tab-12345678")
        other = _connect(stream.pk, "?viewer_id=tab-87654321")
        assert (await page.connect())[0] is True
        assert (await other.connect())[0] is True

        # then the player and its socket are one viewer, the other tab a second
        counts = await sync_to_async(viewers.viewer_store().counts)([stream.pk], time.time())
        assert (counts[stream.pk].current, counts[stream.pk].unique) == (2, 2)

        # and reconnecting with the same id adds no unique viewer
        await page.disconnect()
        again = _connect(stream.pk, "?viewer_id=tab-12345678")
        assert (await again.connect())[0] is True
        counts = await sync_to_async(viewers.viewer_store().counts)([stream.pk], time.time())
        assert (counts[stream.pk].current, counts[stream.pk].unique) == (2, 2)
        await again.disconnect()
        await other.disconnect()

    run(scenario)


def test_a_socket_with_presence_off_reads_the_chat_without_counting():
    # given a live stream nobody watches
    stream = make_stream(UserFactory(username="presence_off"))
    Stream.objects.filter(pk=stream.pk).update(state=Stream.State.LIVE)

    async def scenario():
        # when the watch page of a signed-in session joins with presence=off
        socket = _connect(stream.pk, "?presence=off")
        assert (await socket.connect())[0] is True
        history = await socket.receive_json_from(timeout=5)

        # then it reads the chat, and counts as nobody
        assert history["event"] == "history"
        counts = await sync_to_async(viewers.viewers_now)([stream.pk])
        assert counts.get(stream.pk, 0) == 0
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("viewer_id", ["short", "spaces are bad!!", "x" * 65, ""])
def test_an_invalid_viewer_id_closes_the_socket_with_4000_and_counts_nobody(viewer_id):
    stream = make_stream(UserFactory(username="presence_bad"))
    Stream.objects.filter(pk=stream.pk).update(state=Stream.State.LIVE)

    async def scenario():
        socket = _connect(stream.pk, f"?viewer_id={viewer_id.replace(' ', '+')}")
        # accepted, then closed with the code (a browser sees no code of a refused handshake)
        connected, _subprotocol = await socket.connect()
        assert connected
        closed = await socket.receive_output(timeout=5)
        assert (closed["type"], closed["code"]) == ("websocket.close", 4000)
        counts = await sync_to_async(viewers.viewers_now)([stream.pk])
        assert counts.get(stream.pk, 0) == 0

    run(scenario)
