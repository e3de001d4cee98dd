"""``core.realtime``: which groups a broadcast asks the channel layer to send to."""

from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer

from core import realtime


def test_a_layer_that_cannot_be_asked_cheaply_is_sent_every_group():
    groups = {"user.1", "user.2"}

    assert realtime.groups_listened(InMemoryChannelLayer(), groups) == groups


def test_a_sentinel_host_is_not_asked_and_is_sent_every_group():
    # Constructing the layer opens no connection; a Sentinel host is never asked.
    layer = RedisChannelLayer(hosts=[{"master_name": "agora", "sentinels": [("127.0.0.1", 1)]}])

    assert realtime.groups_listened(layer, {"user.1", "user.2"}) == {"user.1", "user.2"}
