"""Timelines, relationships and privacy: what each account may see, by every endpoint."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.feed.models import Mute, Notification
from core import events
from core.postgres import PREPARED
from tests.api_client import APIClient

pytestmark = pytest.mark.django_db


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()]


def test_home_timeline_shows_own_and_followed_statuses(alice, bob, carol):
    bob.follow(alice)
    from_alice = alice.post("from alice")
    from_carol = carol.post("from carol")
    own = bob.post("from bob")

    assert ids(bob.client.get("/api/v1/timelines/home")) == [own["id"], from_alice["id"]]
    assert from_carol["id"] in ids(bob.client.get("/api/v1/timelines/public"))


def test_private_status_never_reaches_a_non_follower(alice, bob, carol):
    bob.follow(alice)
    private = alice.post("followers only #secret", visibility="private")
    stranger = carol.client

    assert private["id"] in ids(bob.client.get("/api/v1/timelines/home"))
    assert bob.client.get(f"/api/v1/statuses/{private['id']}").status_code == 200
    # carol does not follow alice: every door is closed
    assert stranger.get(f"/api/v1/statuses/{private['id']}").status_code == 404
    assert stranger.get(f"/api/v1/statuses/{private['id']}/context").status_code == 404
    assert stranger.post(f"/api/v1/statuses/{private['id']}/favourite").status_code == 404
    assert stranger.post(f"/api/v1/statuses/{private['id']}/reblog").status_code == 404
    assert private["id"] not in ids(stranger.get(f"/api/v1/accounts/{alice.id}/statuses"))
    assert private["id"] not in ids(stranger.get("/api/v1/timelines/public"))
    assert private["id"] not in ids(stranger.get("/api/v1/timelines/tag/secret"))
    assert private["id"] not in ids(stranger.get("/api/v1/timelines/home"))
    assert private["id"] not in ids(APIClient().get(f"/api/v1/accounts/{alice.id}/statuses"))


def test_direct_status_reaches_only_the_mentioned(alice, bob, carol):
    bob.follow(alice)
    carol.follow(alice)
    direct = alice.post("@bob psst", visibility="direct")

    assert bob.client.get(f"/api/v1/statuses/{direct['id']}").status_code == 200
    assert carol.client.get(f"/api/v1/statuses/{direct['id']}").status_code == 404
    assert direct["id"] not in ids(carol.client.get("/api/v1/timelines/home"))


def test_blocked_account_can_neither_see_nor_interact(alice, bob):
    status = alice.post("not for bob")
    assert alice.client.post(f"/api/v1/accounts/{bob.id}/block").json()["blocking"] is True

    assert bob.client.get(f"/api/v1/statuses/{status['id']}").status_code == 404
    assert bob.client.post(f"/api/v1/statuses/{status['id']}/favourite").status_code == 404
    assert status["id"] not in ids(bob.client.get("/api/v1/timelines/public"))
    assert bob.client.get(f"/api/v1/accounts/{alice.id}/statuses").status_code == 404
    follow = bob.client.post(f"/api/v1/accounts/{alice.id}/follow")
    assert follow.status_code == 404
    reply = bob.client.post(
        "/api/v1/statuses", {"status": "hey", "in_reply_to_id": status["id"]}, format="json"
    )
    assert reply.status_code == 404
    # and bob's mention of alice does not notify her
    bob.post("@alice hello?")
    assert Notification.objects.filter(account=alice.account).count() == 0
    assert [a["id"] for a in alice.client.get("/api/v1/blocks").json()] == [bob.id]


def test_block_ends_follows_both_ways(alice, bob):
    bob.follow(alice)
    alice.follow(bob)

    relationship = alice.client.post(f"/api/v1/accounts/{bob.id}/block").json()

    assert relationship["following"] is False
    assert relationship["followed_by"] is False
    alice.account.refresh_from_db()
    assert (alice.account.followers_count, alice.account.following_count) == (0, 0)


def test_mute_hides_from_home_and_notifications(alice, bob):
    alice.follow(bob)
    bob.post("noise")
    muted = alice.client.post(
        f"/api/v1/accounts/{bob.id}/mute", {"notifications": True}, format="json"
    ).json()
    assert (muted["muting"], muted["muting_notifications"]) == (True, True)

    bob.post("@alice more noise")

    assert ids(alice.client.get("/api/v1/timelines/home")) == []
    assert Notification.objects.filter(account=alice.account, type="mention").count() == 0
    assert [a["id"] for a in alice.client.get("/api/v1/mutes").json()] == [bob.id]
    alice.client.post(f"/api/v1/accounts/{bob.id}/unmute")
    assert len(ids(alice.client.get("/api/v1/timelines/home"))) == 2


def test_a_mute_hides_from_the_public_and_tag_timelines_until_it_expires(alice, bob, carol):
    loud = bob.post("noise #loud")
    calm = carol.post("calm #loud")
    alice.client.post(f"/api/v1/accounts/{bob.id}/mute", {"duration": 60}, format="json")

    for path in ("/api/v1/timelines/public", "/api/v1/timelines/tag/loud"):
        assert ids(alice.client.get(path)) == [calm["id"]]
        assert ids(carol.client.get(path)) == [calm["id"], loud["id"]]  # only alice muted bob

    Mute.objects.filter(account=alice.account).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert ids(alice.client.get("/api/v1/timelines/public")) == [calm["id"], loud["id"]]


def test_locked_account_gets_follow_requests(alice, bob):
    alice.account.locked = True
    alice.account.save()

    requested = bob.follow(alice)
    assert (requested["following"], requested["requested"]) == (False, True)
    assert [a["id"] for a in alice.client.get("/api/v1/follow_requests").json()] == [bob.id]
    assert [n["type"] for n in alice.client.get("/api/v1/notifications").json()] == [
        "follow_request"
    ]

    authorized = alice.client.post(f"/api/v1/follow_requests/{bob.id}/authorize").json()
    assert authorized["followed_by"] is True
    assert [a["id"] for a in alice.client.get(f"/api/v1/accounts/{alice.id}/followers").json()] == [
        bob.id
    ]
    assert [a["id"] for a in bob.client.get(f"/api/v1/accounts/{bob.id}/following").json()] == [
        alice.id
    ]
    assert alice.client.post(f"/api/v1/follow_requests/{bob.id}/reject").status_code == 404


def test_relationships(alice, bob, carol):
    alice.follow(bob)

    response = alice.client.get("/api/v1/accounts/relationships", {"id[]": [bob.id, carol.id]})

    assert [(r["id"], r["following"]) for r in response.json()] == [
        (bob.id, True),
        (carol.id, False),
    ]
    assert alice.client.get("/api/v1/accounts/relationships", {"id[]": ["x"]}).status_code == 422


def test_pagination_both_ways_with_link_header(alice):
    posted = [alice.post(f"status {n}")["id"] for n in range(5)]
    newest_first = list(reversed(posted))

    first = alice.client.get("/api/v1/timelines/home", {"limit": 2})
    assert ids(first) == newest_first[:2]
    link = first["Link"]
    assert f"max_id={newest_first[1]}" in link
    assert 'rel="next"' in link
    assert f"min_id={newest_first[0]}" in link
    assert 'rel="prev"' in link

    older = alice.client.get("/api/v1/timelines/home", {"limit": 2, "max_id": newest_first[1]})
    assert ids(older) == newest_first[2:4]
    newer = alice.client.get("/api/v1/timelines/home", {"limit": 2, "min_id": newest_first[3]})
    assert ids(newer) == newest_first[1:3]
    since = alice.client.get("/api/v1/timelines/home", {"since_id": newest_first[2]})
    assert ids(since) == newest_first[:2]
    assert alice.client.get("/api/v1/timelines/home", {"max_id": "abc"}).status_code == 422


def test_notifications_filters_and_dismiss(alice, bob):
    status = alice.post("hi")
    bob.follow(alice)
    bob.client.post(f"/api/v1/statuses/{status['id']}/favourite")

    everything = alice.client.get("/api/v1/notifications").json()
    assert sorted(n["type"] for n in everything) == ["favourite", "follow"]
    only = alice.client.get("/api/v1/notifications", {"types[]": ["follow"]}).json()
    assert [n["type"] for n in only] == ["follow"]
    excluded = alice.client.get("/api/v1/notifications", {"exclude_types[]": ["follow"]}).json()
    assert [n["type"] for n in excluded] == ["favourite"]
    assert excluded[0]["status"]["id"] == status["id"]
    # Unknown types are ignored, as Mastodon does: Ice Cubes excludes every type it knows,
    # newer ones (quote, admin.sign_up) included; types naming only unknown ones list none.
    ice_cubes = alice.client.get(
        "/api/v1/notifications", {"exclude_types[]": ["follow", "quote", "admin.sign_up"]}
    )
    assert [n["type"] for n in ice_cubes.json()] == ["favourite"]
    assert alice.client.get("/api/v1/notifications", {"types[]": ["bogus"]}).json() == []

    one = everything[0]["id"]
    assert alice.client.get(f"/api/v1/notifications/{one}").json()["id"] == one
    assert bob.client.get(f"/api/v1/notifications/{one}").status_code == 404
    assert alice.client.post(f"/api/v1/notifications/{one}/dismiss").status_code == 200
    assert len(alice.client.get("/api/v1/notifications").json()) == 1
    alice.client.post("/api/v1/notifications/clear")
    assert alice.client.get("/api/v1/notifications").json() == []


def test_removed_status_disappears_everywhere_and_hidden_stays_with_its_author(
    alice, bob, django_capture_on_commit_callbacks
):
    bob.follow(alice)
    removed = alice.post("bad #topic")
    hidden = alice.post("unclear")
    bob.client.post(f"/api/v1/statuses/{removed['id']}/favourite")

    # The outbox relays after commit: run what the commit would have run.
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(
            events.ContentActioned(
                content_type="status", content_id=int(removed["id"]), action="remove"
            )
        )
        events.publish(
            events.ContentActioned(
                content_type="status", content_id=int(hidden["id"]), action="hide"
            )
        )

    assert ids(bob.client.get("/api/v1/timelines/home")) == []
    assert ids(bob.client.get("/api/v1/timelines/tag/topic")) == []
    assert bob.client.get(f"/api/v1/statuses/{hidden['id']}").status_code == 404
    assert alice.client.get(f"/api/v1/statuses/{hidden['id']}").status_code == 200
    assert alice.client.get(f"/api/v1/statuses/{removed['id']}").status_code == 404
    assert not Notification.objects.filter(status_id=int(removed["id"])).exists()


def test_home_timeline_query_count_does_not_grow_with_the_page(alice, bob, carol):
    # given a home timeline of statuses with mentions, tags, favourites and reblogs
    bob.follow(alice)
    bob.follow(carol)
    for n in range(24):
        status = (alice if n % 2 else carol).post(f"status {n} @bob #tag{n}")
        bob.client.post(f"/api/v1/statuses/{status['id']}/favourite")
        carol.client.post(f"/api/v1/statuses/{status['id']}/reblog")

    def queries_for_page(limit: int, *, rendered_before: bool) -> list[str]:
        cache.clear()  # no entity cached: every status rendered afresh
        if rendered_before:
            bob.client.get("/api/v1/timelines/home", {"limit": limit})
        with CaptureQueriesContext(connection) as captured:
            response = bob.client.get("/api/v1/timelines/home", {"limit": limit})
        assert len(response.json()) == limit
        return [query["sql"] for query in captured.captured_queries]

    # then a page of 40 costs exactly the queries of a page of 2, its statuses rendered
    # before or not
    cold_40 = queries_for_page(40, rendered_before=False)
    assert len(cold_40) == len(queries_for_page(2, rendered_before=False))
    warm_40 = queries_for_page(40, rendered_before=True)
    assert len(warm_40) == len(queries_for_page(2, rendered_before=True))
    # and a page whose entities are all cached reads no mentions or tags
    assert any(reads_mentions_or_tags(sql) for sql in cold_40)
    assert not any(reads_mentions_or_tags(sql) for sql in warm_40)


def reads_mentions_or_tags(sql: str) -> bool:
    """Whether ``sql`` reads statuses' mentions or tags: their reads by status id
    (``selectors.prefetch_mentions_and_tags``, prepared on PostgreSQL), or Django's prefetch
    of tags for a status read alone."""
    sql = sql.removeprefix(PREPARED)
    return (
        sql.startswith(('SELECT "feed_mention".', 'SELECT "feed_status_tags".'))
        or 'FROM "feed_tag" INNER JOIN' in sql
    )


@pytest.mark.parametrize("timeline", ["public", "tag/tag3", "account"])
def test_a_page_of_cached_statuses_reads_no_mentions_or_tags(alice, bob, timeline):
    for n in range(6):
        alice.post(f"status {n} @bob #tag{n}")
    path = (
        f"/api/v1/accounts/{alice.id}/statuses"
        if timeline == "account"
        else f"/api/v1/timelines/{timeline}"
    )
    first = bob.client.get(path)  # renders and caches the entities

    with CaptureQueriesContext(connection) as captured:
        again = bob.client.get(path)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert [status["mentions"][0]["acct"] for status in again.json()] == ["bob"] * len(first.json())
    assert again.json()[0]["tags"]
    assert not any(reads_mentions_or_tags(query["sql"]) for query in captured.captured_queries)


@pytest.mark.parametrize("relation", ["followers", "following"])
def test_an_account_that_hides_its_network_shows_it_only_to_itself(alice, bob, carol, relation):
    bob.follow(alice)
    alice.follow(carol)
    alice.account.hide_collections = True
    alice.account.save(update_fields=["hide_collections"])

    seen_by_bob = bob.client.get(f"/api/v1/accounts/{alice.id}/{relation}")
    seen_by_alice = alice.client.get(f"/api/v1/accounts/{alice.id}/{relation}")

    assert seen_by_bob.status_code == 200
    assert seen_by_bob.json() == []
    assert len(seen_by_alice.json()) == 1
