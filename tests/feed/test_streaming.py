"""``/api/v1/streaming``: Mastodon's streams and events, as a client receives them.

The scenarios are coroutines run by ``run``; API calls go through ``sync_to_async`` so the
services commit and broadcast as they do for a real request, on the in-memory channel layer.
The helpers here are shared by ``test_streaming_privacy.py`` and ``test_streaming_auth.py``.
"""

import io
import json
from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from apps.feed import consumers
from apps.feed.models import Status
from config.asgi import application
from core import events
from tests.feed.conftest import Member

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5
UNKNOWN_STREAM = {"error": "Unknown stream type", "status": 400}


def run(scenario) -> None:
    """Run the coroutine function ``scenario`` to completion from a synchronous test."""
    async_to_sync(scenario)()


def _target(token: str | None, query: str, path: str) -> str:
    params = [f"access_token={quote(token)}"] if token is not None else []
    if query:
        params.append(query)
    return f"{path}?{'&'.join(params)}" if params else path


async def open_stream(
    token: str | None, query: str = "", path: str = "/api/v1/streaming", **options
) -> WebsocketCommunicator:
    """A connected stream; ``token`` goes in ``access_token`` unless None."""
    communicator = WebsocketCommunicator(application, _target(token, query, path), **options)
    connected, detail = await communicator.connect(timeout=TIMEOUT)
    assert connected, f"refused with {detail}"
    return communicator


async def refused_with(token: str | None, query: str = "", **options):
    """Try to connect; the close code the server refused with (fails if it accepted)."""
    target = _target(token, query, "/api/v1/streaming")
    communicator = WebsocketCommunicator(application, target, **options)
    connected, code = await communicator.connect(timeout=TIMEOUT)
    if connected:
        await communicator.disconnect()
    assert not connected
    return code


async def next_event(communicator: WebsocketCommunicator) -> dict:
    """The next message; an entity payload (a JSON string, as Mastodon sends it) is decoded."""
    message = await communicator.receive_json_from(timeout=TIMEOUT)
    if message.get("event") in ("update", "status.update", "notification"):
        assert isinstance(message["payload"], str)
        message = {**message, "payload": json.loads(message["payload"])}
    return message


async def settle(communicator: WebsocketCommunicator) -> None:
    """Wait until the server has handled every message sent on ``communicator`` so far.

    The protocol has no acknowledgement; the error answering a subscription to an unknown
    stream comes back in order, so once it arrives the earlier messages were handled.
    """
    await communicator.send_json_to({"type": "subscribe", "stream": "settle"})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == UNKNOWN_STREAM


def test_a_followers_user_stream_receives_the_status_as_an_update(alice, bob, token_for):
    # given bob follows alice and listens to his user stream on host localhost
    bob.follow(alice)
    token = token_for(bob.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=user", headers=[(b"host", b"localhost")])

        # when alice posts
        posted = await sync_to_async(alice.post)("hello #cats")

        # then bob receives the Status entity, as a JSON string, on the user stream
        event = await next_event(stream)
        assert event["stream"] == ["user"]
        assert event["event"] == "update"
        payload = event["payload"]
        assert payload["id"] == posted["id"]
        assert payload["content"] == posted["content"]
        assert payload["account"]["id"] == alice.id
        assert payload["account"]["url"] == "http://localhost:8000/@alice"  # the base URL
        assert payload["favourited"] is False
        assert [tag["name"] for tag in payload["tags"]] == ["cats"]
        await stream.disconnect()

    run(scenario)


def test_the_author_hears_their_own_status_on_their_user_stream(alice, token_for):
    # given alice listens to her user stream
    token = token_for(alice.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=user")

        # when she posts a private status
        posted = await sync_to_async(alice.post)("note to followers", visibility="private")

        # then it enters her own home timeline, so her stream gets it
        event = await next_event(stream)
        assert (event["event"], event["payload"]["id"]) == ("update", posted["id"])
        assert event["payload"]["visibility"] == "private"
        await stream.disconnect()

    run(scenario)


def test_an_edit_reaches_each_follower_with_their_own_flags(alice, bob, carol, token_for):
    # given bob and carol follow alice, and only bob favourited her status
    bob.follow(alice)
    carol.follow(alice)
    posted = alice.post("first draft")
    assert bob.client.post(f"/api/v1/statuses/{posted['id']}/favourite").status_code == 200
    bob_token = token_for(bob.account, scope="read")
    carol_token = token_for(carol.account, scope="read")

    async def scenario():
        bob_stream = await open_stream(bob_token, "stream=user")
        carol_stream = await open_stream(carol_token, "stream=user")

        # when alice edits it
        response = await sync_to_async(alice.client.put)(
            f"/api/v1/statuses/{posted['id']}", {"status": "final text"}, format="json"
        )
        assert response.status_code == 200

        # then both get status.update, each with their own favourited flag
        for stream, favourited in ((bob_stream, True), (carol_stream, False)):
            event = await next_event(stream)
            assert (event["stream"], event["event"]) == (["user"], "status.update")
            assert event["payload"]["id"] == posted["id"]
            assert event["payload"]["content"] == "<p>final text</p>"
            assert event["payload"]["edited_at"] is not None
            assert event["payload"]["favourited"] is favourited
            await stream.disconnect()

    run(scenario)


def test_a_deleted_status_is_deleted_from_the_followers_stream(alice, bob, token_for):
    # given bob follows alice, who posted a status, and bob listens
    bob.follow(alice)
    posted = alice.post("soon gone")
    token = token_for(bob.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=user")

        # when alice deletes it
        response = await sync_to_async(alice.client.delete)(f"/api/v1/statuses/{posted['id']}")
        assert response.status_code == 200

        # then bob receives delete with the id as the payload
        assert await next_event(stream) == {
            "stream": ["user"],
            "event": "delete",
            "payload": posted["id"],
        }
        await stream.disconnect()

    run(scenario)


def test_a_reblog_and_its_undoing_reach_the_rebloggers_followers(alice, bob, carol, token_for):
    # given carol follows bob (not alice), and alice posted publicly
    carol.follow(bob)
    posted = alice.post("worth sharing")
    token = token_for(carol.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=user")

        # when bob reblogs it, then unreblogs it
        response = await sync_to_async(bob.client.post)(f"/api/v1/statuses/{posted['id']}/reblog")
        assert response.status_code == 200
        reblog_id = response.json()["id"]
        update = await next_event(stream)
        response = await sync_to_async(bob.client.post)(f"/api/v1/statuses/{posted['id']}/unreblog")
        assert response.status_code == 200
        delete = await next_event(stream)

        # then carol sees the reblog arrive, wrapping alice's status, and then go
        assert update["event"] == "update"
        assert update["payload"]["id"] == reblog_id
        assert update["payload"]["account"]["id"] == bob.id
        assert update["payload"]["reblog"]["id"] == posted["id"]
        assert delete == {"stream": ["user"], "event": "delete", "payload": reblog_id}
        await stream.disconnect()

    run(scenario)


def test_notifications_reach_the_user_and_notification_streams(alice, bob, token_for):
    # given alice listens to her user stream and, separately, to user:notification
    posted = alice.post("like me")
    token = token_for(alice.account, scope="read")

    async def scenario():
        user_stream = await open_stream(token, "stream=user")
        notification_stream = await open_stream(token, "stream=user:notification")

        # when bob follows her and favourites her status
        await sync_to_async(bob.follow)(alice)
        response = await sync_to_async(bob.client.post)(
            f"/api/v1/statuses/{posted['id']}/favourite"
        )
        assert response.status_code == 200

        # then both streams get both notifications, in order, as Notification entities
        for stream, label in (
            (user_stream, ["user"]),
            (notification_stream, ["user:notification"]),
        ):
            follow = await next_event(stream)
            favourite = await next_event(stream)
            assert (follow["stream"], follow["event"]) == (label, "notification")
            assert follow["payload"]["type"] == "follow"
            assert follow["payload"]["account"]["id"] == bob.id
            assert follow["payload"]["status"] is None
            assert favourite["payload"]["type"] == "favourite"
            assert favourite["payload"]["status"]["id"] == posted["id"]
            assert favourite["payload"]["status"]["favourited"] is False
            await stream.disconnect()

    run(scenario)


def test_the_user_stream_leaves_notifications_out_for_a_statuses_only_token(alice, bob, token_for):
    # given alice's user stream opened with a token that may read statuses but not notifications
    token = token_for(alice.account, scope="read:statuses")

    async def scenario():
        stream = await open_stream(token, "stream=user")

        # when bob follows her (a notification), then she posts (an update)
        await sync_to_async(bob.follow)(alice)
        posted = await sync_to_async(alice.post)("after the follow")

        # then the first thing she receives is the update
        event = await next_event(stream)
        assert (event["event"], event["payload"]["id"]) == ("update", posted["id"])
        await stream.disconnect()

    run(scenario)


def test_public_and_hashtag_streams_subscribed_by_message(alice, carol, token_for):
    # given carol subscribes to the public stream and to #Cats by message
    token = token_for(carol.account, scope="read")

    async def scenario():
        stream = await open_stream(token)
        await stream.send_json_to({"type": "subscribe", "stream": "public"})
        await stream.send_json_to({"type": "subscribe", "stream": "hashtag", "tag": "Cats"})
        await settle(stream)

        # when alice posts an unlisted status, then a public one, both tagged #cats
        await sync_to_async(alice.post)("quiet #cats", visibility="unlisted")
        loud = await sync_to_async(alice.post)("loud #cats")

        # then only the public one arrives, on the public stream and on the tag's stream
        public = await next_event(stream)
        hashtag = await next_event(stream)
        assert (public["stream"], public["event"], public["payload"]["id"]) == (
            ["public"],
            "update",
            loud["id"],
        )
        assert (hashtag["stream"], hashtag["event"], hashtag["payload"]["id"]) == (
            ["hashtag", "Cats"],
            "update",
            loud["id"],
        )
        await stream.disconnect()

    run(scenario)


def test_local_streams_named_on_connect(alice, carol, token_for):
    # given carol connects to hashtag:local for #dogs through the query string
    token = token_for(carol.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=hashtag:local&tag=dogs")

        # when alice posts about cats, then about dogs
        await sync_to_async(alice.post)("about #cats")
        dogs = await sync_to_async(alice.post)("about #dogs")

        # then only the dogs status arrives, labelled with the tag carol asked for
        event = await next_event(stream)
        assert (event["stream"], event["payload"]["id"]) == (["hashtag:local", "dogs"], dogs["id"])
        await stream.disconnect()

    run(scenario)


def test_unsubscribing_stops_a_stream(alice, carol, token_for):
    # given carol listens to public and #cats, then unsubscribes from #cats
    token = token_for(carol.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=public:local")
        await stream.send_json_to({"type": "subscribe", "stream": "hashtag", "tag": "cats"})
        await stream.send_json_to({"type": "unsubscribe", "stream": "hashtag", "tag": "cats"})
        await settle(stream)

        # when alice posts about #cats
        posted = await sync_to_async(alice.post)("still about #cats")

        # then it arrives once, on public:local, and nothing else follows
        event = await next_event(stream)
        assert (event["stream"], event["payload"]["id"]) == (["public:local"], posted["id"])
        await settle(stream)
        await stream.disconnect()

    run(scenario)


def test_replies_to_others_stay_off_the_public_stream(alice, bob, carol, token_for):
    # given alice posted, and carol listens to the public stream
    original = alice.post("a question")
    token = token_for(carol.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=public")

        # when bob replies to alice, then alice answers in her own thread
        await sync_to_async(bob.post)("@alice an answer", in_reply_to_id=original["id"])
        own_thread = await sync_to_async(alice.post)("and more", in_reply_to_id=original["id"])

        # then only alice's self-reply is broadcast, as Mastodon's public stream does
        event = await next_event(stream)
        assert event["payload"]["id"] == own_thread["id"]
        await stream.disconnect()

    run(scenario)


def test_a_status_removed_by_moderation_is_deleted_from_streams(alice, bob, token_for):
    # given bob follows alice and listens; alice posted a status
    bob.follow(alice)
    posted = alice.post("against the rules")
    token = token_for(bob.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=user")

        # when moderation removes it (the event the moderation app publishes)
        await sync_to_async(events.publish)(
            events.ContentActioned(
                content_type="status", content_id=int(posted["id"]), action="remove"
            )
        )

        # then bob's stream deletes it
        assert await next_event(stream) == {
            "stream": ["user"],
            "event": "delete",
            "payload": posted["id"],
        }
        await stream.disconnect()

    run(scenario)


def test_rendering_an_update_takes_the_same_queries_however_much_the_status_holds(alice, bob):
    # given two statuses, one plain and one with several mentions and tags
    names = ["dave", "erin", "frank", "grace"]
    for name in names:
        Member(name)
    plain = alice.post("plain")
    busy = alice.post(" ".join(f"@{name} #tag{name}" for name in names))
    viewer = bob.account

    # when each is rendered for a viewer, as the consumer does per event
    def render(status_id: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            payload = consumers.status_event_payload(viewer=viewer, status_id=int(status_id))
        assert payload is not None
        return len(queries)

    # then the busy status costs no more queries than the plain one
    assert render(busy["id"]) == render(plain["id"])
    assert Status.objects.count() == 2


def posted_with_image(member) -> dict:
    """``member`` posts a public status with a small PNG attached, through the API."""
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(image, format="PNG")
    upload = SimpleUploadedFile("dot.png", image.getvalue(), content_type="image/png")
    media = member.client.post("/api/v2/media", {"file": upload}, format="multipart")
    assert media.status_code == 200, media.content
    return member.post("a picture", media_ids=[media.json()["id"]])


def test_media_streams_carry_only_statuses_with_media(alice, carol, token_for):
    # given carol listens to public:local:media by message and to public with only_media on
    # connect, as Mastodon's two spellings of the media streams
    token = token_for(carol.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=public&only_media=true")
        await stream.send_json_to({"type": "subscribe", "stream": "public:local:media"})
        await settle(stream)

        # when alice posts text alone, then a picture
        await sync_to_async(alice.post)("just words")
        picture = await sync_to_async(posted_with_image)(alice)

        # then only the picture arrives, once on each media stream
        received = [await next_event(stream), await next_event(stream)]
        assert sorted(tuple(event["stream"]) for event in received) == [
            ("public:local:media",),
            ("public:media",),
        ]
        assert {event["payload"]["id"] for event in received} == {picture["id"]}
        assert received[0]["payload"]["media_attachments"][0]["type"] == "image"

        # and unsubscribing by the other spelling stops it
        await stream.send_json_to({"type": "unsubscribe", "stream": "public:media"})
        await stream.send_json_to({"type": "unsubscribe", "stream": "public:local:media"})
        await settle(stream)
        await sync_to_async(posted_with_image)(alice)
        assert await stream.receive_nothing(timeout=0.5)
        await stream.disconnect()

    run(scenario)
