"""The streaming API end to end on the channels-redis layer and PostgreSQL."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from tests.accounts.factories import AccessTokenFactory
from tests.feed.conftest import Member
from tests.feed.test_streaming import next_event, open_stream, run

pytestmark = pytest.mark.integration


def test_a_followers_stream_receives_an_update_and_a_delete_through_redis(transactional_db):
    # given bob follows alice on PostgreSQL, and listens to his user stream over channels-redis
    alice, bob = Member("stream_alice"), Member("stream_bob")
    bob.follow(alice)
    token = AccessTokenFactory(user=bob.account, scope="read").token

    async def scenario():
        stream = await open_stream(token, "stream=user")

        # when alice posts, then deletes the status
        posted = await sync_to_async(alice.post)("through redis #integration")
        update = await next_event(stream)
        response = await sync_to_async(alice.client.delete)(f"/api/v1/statuses/{posted['id']}")
        assert response.status_code == 200
        delete = await next_event(stream)

        # then both events arrived through the Redis layer, rendered for bob
        assert (update["stream"], update["event"]) == (["user"], "update")
        assert update["payload"]["id"] == posted["id"]
        assert update["payload"]["account"]["acct"] == "stream_alice"
        assert delete == {"stream": ["user"], "event": "delete", "payload": posted["id"]}
        await stream.disconnect()

    assert type(get_channel_layer()).__module__ == "channels_redis.core"
    run(scenario)


def test_a_broadcast_is_sent_only_to_the_groups_someone_listens_to(monkeypatch):
    from asgiref.sync import async_to_sync
    from channels_redis.core import RedisChannelLayer

    from core import realtime

    layer = get_channel_layer()
    assert type(layer) is RedisChannelLayer
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("integration-listened", channel)
    sent = []
    group_send = layer.group_send

    async def recording_group_send(group, message):
        sent.append(group)
        await group_send(group, message)

    monkeypatch.setattr(layer, "group_send", recording_group_send)

    assert realtime.groups_listened(layer, {"integration-listened", "integration-nobody"}) == {
        "integration-listened"
    }
    realtime.broadcast_many(
        [
            ("integration-nobody", {"type": "stream.test", "n": 1}),
            ("integration-listened", {"type": "stream.test", "n": 2}),
        ]
    )
    realtime.broadcast_many([("integration-nobody", {"type": "stream.test", "n": 3})])

    assert sent == ["integration-listened"]

    async def receive():  # a message that never came fails in seconds, not at the suite's timeout
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    message = async_to_sync(receive)()
    assert (message["type"], message["n"]) == ("stream.test", 2)
    async_to_sync(layer.group_discard)("integration-listened", channel)
    assert realtime.groups_listened(layer, {"integration-listened"}) == set()
