"""Going live posts a status: by the streamer, to its followers, linking to the watch page with a
card filled in (never fetched) and ``agora.live`` naming the stream; once per stream however
often the event is delivered; still there, marked ``ended``, when the stream ends.

Events are relayed after each commit (``django_capture_on_commit_callbacks``), as the outbox
relays them in production.
"""

from __future__ import annotations

import pytest

from apps.feed.models import Status
from apps.feed.services import cards
from apps.live import handlers
from apps.live.models import LiveAnnouncement, Stream
from core import events

pytestmark = pytest.mark.django_db

STREAMS = "/api/agora/v1/live/streams"


@pytest.fixture
def relayed(django_capture_on_commit_callbacks):
    """``with relayed(): ...``: the events published inside reach their handlers at the end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def go_live(streamer, create_stream, nginx, relayed):
    """``go_live(**body)``: create a stream of ``streamer`` and publish to it; the Stream."""

    def make(**body) -> Stream:
        created = create_stream(streamer, **body)
        with relayed():
            assert nginx("on_publish", created["ingest"]["stream_key"]).status_code == 302
        return Stream.objects.get(pk=created["id"])

    return make


def announced(stream: Stream) -> Status:
    return Status.objects.get(pk=LiveAnnouncement.objects.get(stream=stream).status_id)


def test_going_live_posts_a_status_linking_to_the_watch_page(
    go_live, streamer, client_for, user, settings
):
    # given an instance at agora.test
    settings.AGORA_DOMAIN, settings.AGORA_HTTPS = "agora.test", True

    # when the streamer's encoder goes live
    stream = go_live(title="Speedrun night", description="Any% glitchless")

    # then a public status of the streamer links to the watch page, with its card and extension
    status = announced(stream)
    shown = client_for(user).get(f"/api/v1/statuses/{status.pk}")
    assert shown.status_code == 200, shown.content
    entity = shown.json()
    watch = f"https://agora.test/live/{stream.pk}"
    assert entity["account"]["id"] == str(streamer.pk)
    assert entity["visibility"] == "public"
    assert "Speedrun night" in entity["content"]
    assert f'href="{watch}"' in entity["content"]
    assert entity["application"] == {"name": "Agora Live", "website": None}
    assert entity["agora"] == {
        "members_only": False,
        "live": {"stream_id": str(stream.pk), "state": "live"},
    }
    card = entity["card"]
    assert (card["url"], card["title"], card["description"], card["type"]) == (
        watch,
        "Speedrun night",
        "Any% glitchless",
        "link",
    )
    assert card["provider_name"] == "agora.test"


def test_the_card_is_never_fetched_and_survives_the_card_worker(go_live, settings):
    # given the announcing status of a live stream
    settings.AGORA_CARDS_ENABLED = True
    status = announced(go_live())
    card_id = status.preview_card_id

    # when the card worker is asked about it, or runs anyway
    scheduled = cards.status_card_schedule(status_id=status.pk)
    fetched = cards.status_card_fetch(status_id=status.pk)

    # then nothing is enqueued and the card stays
    assert scheduled is False
    assert fetched is not None
    assert fetched.pk == card_id
    assert Status.objects.get(pk=status.pk).preview_card_id == card_id


def test_a_follower_finds_it_on_the_home_timeline(go_live, streamer, client_for, user):
    # given a follower of the streamer
    assert client_for(user).post(f"/api/v1/accounts/{streamer.pk}/follow").status_code == 200

    # when the streamer goes live
    stream = go_live(visibility="followers")

    # then the follower's home timeline shows the announcement
    home = client_for(user).get("/api/v1/timelines/home")
    assert home.status_code == 200, home.content
    assert [(s["id"], s["agora"]["live"]["stream_id"]) for s in home.json()] == [
        (str(announced(stream).pk), str(stream.pk))
    ]


@pytest.mark.parametrize(
    ("stream_visibility", "visibility", "members_only"),
    [
        ("public", "public", False),
        ("unlisted", "unlisted", False),
        ("followers", "private", False),
        ("subscribers", "private", True),
    ],
    ids=["public", "unlisted", "followers", "subscribers"],
)
def test_the_status_is_as_visible_as_the_stream(
    go_live, stream_visibility, visibility, members_only
):
    status = announced(go_live(visibility=stream_visibility))

    assert (status.visibility, status.members_only) == (visibility, members_only)


def test_a_stranger_cannot_see_a_followers_stream_announcement(go_live, client_for, user):
    status = announced(go_live(visibility="followers"))

    assert client_for(user).get(f"/api/v1/statuses/{status.pk}").status_code == 404


def test_when_the_stream_ends_the_status_stays_and_says_ended(
    go_live, streamer, client_for, user, relayed
):
    # given a live stream and its announcement, seen once (so its entity is cached)
    stream = go_live()
    status = announced(stream)
    before = client_for(user).get(f"/api/v1/statuses/{status.pk}").json()

    # when the streamer ends it
    with relayed():
        assert client_for(streamer).post(f"{STREAMS}/{stream.pk}/end").status_code == 200

    # then the status is still there, its card too, and it says the stream ended
    after = client_for(user).get(f"/api/v1/statuses/{status.pk}").json()
    assert before["agora"]["live"]["state"] == "live"
    assert after["agora"]["live"] == {"stream_id": str(stream.pk), "state": "ended"}
    assert after["card"]["url"] == before["card"]["url"]


def test_the_event_delivered_twice_posts_one_status(go_live, streamer, relayed):
    # given a stream announced once
    stream = go_live()
    first = announced(stream)

    # when the outbox delivers LiveStarted again
    with relayed():
        handlers.on_live_started_announce(
            events.LiveStarted(stream_id=stream.pk, account_id=streamer.pk, visibility="public")
        )

    # then there is still one status
    assert list(Status.objects.filter(account=streamer).values_list("pk", flat=True)) == [first.pk]


def test_a_deleted_announcement_is_not_posted_again(go_live, streamer, client_for, relayed):
    # given the streamer deleted the announcement
    stream = go_live()
    status = announced(stream)
    assert client_for(streamer).delete(f"/api/v1/statuses/{status.pk}").status_code == 200

    # when the event is delivered again
    with relayed():
        handlers.on_live_started_announce(
            events.LiveStarted(stream_id=stream.pk, account_id=streamer.pk, visibility="public")
        )

    # then nothing is posted
    assert not Status.objects.filter(account=streamer).exists()
    assert LiveAnnouncement.objects.get(stream=stream).status_id is None


def test_a_stream_that_ended_before_the_event_arrived_is_not_announced(
    streamer, create_stream, nginx, client_for
):
    # given a stream that went live and ended before its LiveStarted was handled
    created = create_stream(streamer)
    nginx("on_publish", created["ingest"]["stream_key"])  # events not relayed
    client_for(streamer).post(f"{STREAMS}/{created['id']}/end")

    # when the event is handled late
    handlers.on_live_started_announce(
        events.LiveStarted(
            stream_id=int(created["id"]), account_id=streamer.pk, visibility="public"
        )
    )

    # then no "live now" status is posted, and the reason is kept
    assert not Status.objects.filter(account=streamer).exists()
    assert LiveAnnouncement.objects.get(stream_id=created["id"]).skipped == "ended before announced"


@pytest.fixture
def short_statuses():
    """A plan stand-in: statuses of at most 10 characters, which the announcement exceeds (the
    provider in place before, billing's, comes back afterwards)."""
    from dataclasses import replace

    from core import entitlements

    before = entitlements._provider
    entitlements.set_provider(lambda user: replace(entitlements.FREE, max_status_characters=10))
    yield
    entitlements.set_provider(before)


def test_a_status_the_feed_refuses_is_recorded_not_retried(go_live, streamer, short_statuses):
    # when a streamer whose plan allows only 10-character statuses goes live
    stream = go_live()

    # then the announcement keeps the feed's reason and no status exists
    found = LiveAnnouncement.objects.get(stream=stream)
    assert found.status_id is None
    assert "too long" in found.skipped
    assert not Status.objects.filter(account=streamer).exists()


def test_the_feed_hook_refuses_what_is_not_an_extension_or_a_local_page(go_live):
    from apps.feed import services as feed_services

    status = announced(go_live())

    with pytest.raises(ValueError, match="not an extension name"):
        feed_services.status_extension_set(status_id=status.pk, name="members_only", value=True)
    with pytest.raises(ValueError, match="not a page of this instance"):
        cards.status_card_prefill(
            status_id=status.pk, data=cards.CardData(url="https://elsewhere.example/x", title="x")
        )
    assert feed_services.status_extension_set(status_id=12345, name="live", value={}) is False
    assert Status.objects.get(pk=status.pk).members_only is False
