"""Live viewers on the real Redis (and watch time on PostgreSQL): the scenarios of
tests/live/test_viewers.py against the Redis store, plus what only real servers show:
simultaneous heartbeats each counted, keys that expire on their own, the room hearing the
count through channels-redis, and two tabs' simultaneous heartbeats counting once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

from apps.live.models import LiveWatch, Stream
from apps.live.services import (
    ingest_publish,
    live_allow,
    stream_create,
    stream_end,
    viewers,
    watch,
)
from apps.live.services.rooms import room_group
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient

pytestmark = pytest.mark.integration

STREAMS = "/api/agora/v1/live/streams"


@pytest.fixture
def live(db):
    """``live(visibility=...)``: a stream gone live (its keys removed from Redis afterwards)."""
    made: list[int] = []

    def make(visibility: str = "public") -> Stream:
        account = UserFactory()
        live_allow(account=account, actor="tests")
        stream, key = stream_create(account=account, title="Integration", visibility=visibility)
        stream = ingest_publish(key=key)
        made.append(stream.pk)
        return stream

    yield make
    store = viewers.viewer_store()
    for stream_id in made:
        store.clear(stream_id)


def test_the_store_is_redis_and_its_keys_expire_on_their_own(live, settings):
    # given a live stream on the Redis store
    stream = live()
    store = viewers.viewer_store()
    assert isinstance(store, viewers.RedisViewerStore)

    # when an anonymous player beats through the API
    answer = APIClient().post(
        f"{STREAMS}/{stream.pk}/heartbeat", {"viewer_id": "integration-player"}, format="json"
    )

    # then it counts, and both keys carry an expiry
    assert answer.status_code == 200, answer.content
    assert answer.json()["viewers"] == 1
    client = store.client
    assert 0 < client.ttl(viewers.viewers_key(stream.pk)) <= 2 * settings.LIVE_VIEWER_TTL_SECONDS
    assert 0 < client.ttl(viewers.uniques_key(stream.pk)) <= viewers.UNIQUES_SECONDS


@pytest.mark.django_db(transaction=True)
def test_simultaneous_heartbeats_are_each_counted(live):
    # given a live stream and 40 players ready to beat at the same moment
    stream = live()
    start = threading.Barrier(8)
    failures: list[int] = []

    def players(first: int) -> None:
        client = APIClient()
        start.wait()
        for n in range(first, first + 5):
            body = {"viewer_id": f"integration-player-{n:03d}"}
            answer = client.post(f"{STREAMS}/{stream.pk}/heartbeat", body, format="json")
            if answer.status_code != 200:
                failures.append(answer.status_code)
        connection.close()

    # when 8 threads send 5 heartbeats each, all different players
    threads = [threading.Thread(target=players, args=(i * 5,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then all 40 watch
    assert failures == []
    assert viewers.viewers_now([stream.pk]) == {stream.pk: 40}


def test_who_was_not_seen_for_the_ttl_is_trimmed_and_peaks_are_kept(live, settings):
    # given viewers seen 60 s and 10 s ago, with a 45-second TTL
    settings.LIVE_VIEWER_TTL_SECONDS = 45
    stream = live()
    now = time.time()
    viewers.viewer_seen(stream.pk, "a:1", now=now - 60)
    viewers.viewer_seen(stream.pk, "a:2", now=now - 10)
    viewers.viewer_seen(stream.pk, "anon:integration-x", now=now - 10)

    # when the counts are folded now
    viewers.viewer_counts_fold(now=now)

    # then the stale one is gone from Redis, and the stream keeps 2 watching of 3 seen
    store = viewers.viewer_store()
    assert store.client.zcard(viewers.viewers_key(stream.pk)) == 2
    stream.refresh_from_db()
    assert (stream.peak_viewers, stream.unique_viewers) == (2, 3)


@pytest.mark.django_db(transaction=True)
def test_the_room_hears_the_count_and_the_end_through_channels_redis(live):
    # given a live stream with two viewers and a listener in its room (channels-redis)
    stream = live()
    layer = get_channel_layer()
    assert type(layer).__module__ == "channels_redis.core"
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(room_group(stream.pk), channel)
    viewers.viewer_seen(stream.pk, "a:1")
    viewers.viewer_seen(stream.pk, "a:2")

    # when the periodic task runs, then the stream ends (its handlers relayed after commit)
    viewers.viewer_counts_fold()
    stream_end(stream=stream, actor="tests")

    # then the room heard the count, then the end; the stream's keys are gone
    heard = [async_to_sync(_receive)(layer, channel) for _ in range(2)]
    async_to_sync(layer.group_discard)(room_group(stream.pk), channel)
    assert [(m["event"], m["payload"]) for m in heard] == [
        ("viewer_count", {"viewers": 2}),
        ("ended", {"stream_id": str(stream.pk), "peak_viewers": 2, "unique_viewers": 2}),
    ]
    client = viewers.viewer_store().client
    assert client.exists(viewers.viewers_key(stream.pk), viewers.uniques_key(stream.pk)) == 0


async def _receive(layer, channel):
    return await asyncio.wait_for(layer.receive(channel), timeout=5)


@pytest.mark.django_db(transaction=True)
def test_two_tabs_beating_at_once_count_the_interval_once_on_postgresql(live):
    # given a viewer counted up to 15 s ago
    stream = live()
    viewer = UserFactory()
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    watch.live_watch_record(viewer=viewer, stream=stream, now=start)
    now = start + dt.timedelta(seconds=15)
    barrier = threading.Barrier(6)
    counted: list[int] = []

    def tab() -> None:
        barrier.wait()
        counted.append(watch.live_watch_record(viewer=viewer, stream=stream, now=now).counted)
        connection.close()

    # when six tabs beat at the same moment
    threads = [threading.Thread(target=tab) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then one of them counted the 15 s, the others nothing
    assert sorted(counted) == [0, 0, 0, 0, 0, 15]
    assert LiveWatch.objects.get(viewer=viewer, stream=stream).seconds == 15
