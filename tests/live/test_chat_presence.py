"""Chat presence counts as watching: a chat socket is a viewer, signed in or not."""

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
