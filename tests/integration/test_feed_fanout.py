"""The home feed store against real Redis and PostgreSQL, with a real Celery worker fanning out."""

import os
import time

import pytest
import redis
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from waffle.models import Flag

from apps.accounts.models import Standing, User
from apps.feed import fanout
from apps.feed.models import Block, Follow, Mention, Mute, Status
from core import events, flags
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient

pytestmark = pytest.mark.integration

TASK_SECONDS = 30


class Member:
    """An account with an API client signed in as it."""

    def __init__(self, username: str):
        self.account = UserFactory(username=username)
        self.client = APIClient()
        token = AccessTokenFactory(user=self.account, scope="read write follow push").token
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    @property
    def pk(self) -> int:
        return self.account.pk

    def post(self, text: str, **extra) -> int:
        response = self.client.post("/api/v1/statuses", {"status": text, **extra}, format="json")
        assert response.status_code == 200, response.json()
        return int(response.json()["id"])

    def follow(self, other: "Member") -> None:
        response = self.client.post(f"/api/v1/accounts/{other.pk}/follow")
        assert response.status_code == 200, response.json()

    def home(self, **params) -> list[int]:
        response = self.client.get("/api/v1/timelines/home", params)
        assert response.status_code == 200, response.json()
        return [int(s["id"]) for s in response.json()]

    def feed(self) -> list[int]:
        return fanout.feed_ids(self.pk)


def wait_until(condition, what: str):
    deadline = time.monotonic() + TASK_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def clear_feed_keys() -> None:
    """Only the store's keys: the broker and channel layer share this Redis database."""
    connection_ = redis.Redis.from_url(os.environ["REDIS_URL"])
    for key in connection_.scan_iter(match="feed:*", count=1000):
        connection_.delete(key)


@pytest.fixture
def store(transactional_db, celery_worker_process):
    """The feed store, empty, with a worker consuming the fan-out tasks."""
    clear_feed_keys()
    yield
    clear_feed_keys()


@pytest.fixture
def alice(store):
    return Member("alice")


@pytest.fixture
def bob(store):
    return Member("bob")


@pytest.fixture
def carol(store):
    return Member("carol")


def test_a_status_reaches_the_author_and_followers_active_this_week_only(alice, bob, carol):
    # given bob and carol follow alice; alice and bob read their home timelines, carol never did
    bob.follow(alice)
    carol.follow(alice)
    assert alice.home() == []
    assert bob.home() == []

    # when alice posts
    status_id = alice.post("hello followers")

    # then the worker pushes it to alice's and bob's feeds, and carol has no feed at all
    wait_until(lambda: bob.feed() == [status_id], "the fan-out to bob")
    assert alice.feed() == [status_id]
    assert not fanout.client().exists(fanout.feed_key(carol.pk))


def test_visibility_decides_the_audience_and_direct_reaches_only_those_mentioned(alice, bob, carol):
    # given bob follows alice, carol does not; all three are active
    bob.follow(alice)
    for member in (alice, bob, carol):
        member.home()

    # when alice posts privately, then a direct message to carol, then a public marker
    private_id = alice.post("followers only", visibility="private")
    direct_id = alice.post("@carol just you", visibility="direct")
    marker_id = alice.post("marker")

    # then bob's feed has the private one, carol's only the direct one
    wait_until(lambda: marker_id in bob.feed(), "the marker in bob's feed")
    assert bob.feed() == [marker_id, private_id]
    assert carol.feed() == [direct_id]
    assert alice.feed() == [marker_id, direct_id, private_id]


def test_a_feed_keeps_the_newest_400_and_older_pages_come_from_the_database(alice, bob):
    # given bob has 450 statuses and alice follows him (her first read rebuilds her feed)
    Status.objects.bulk_create(
        [Status(account=bob.account, text=f"s{i}", content=f"<p>s{i}</p>") for i in range(450)]
    )
    alice.follow(bob)
    newest = list(Status.objects.filter(account=bob.account).order_by("-id"))
    assert alice.home(limit=1) == [newest[0].pk]

    # when bob posts once more
    latest_id = bob.post("one more")

    # then alice's feed holds exactly the newest 400, and a page below them matches the database
    wait_until(lambda: alice.feed()[:1] == [latest_id], "the fan-out to alice")
    assert alice.feed() == [latest_id] + [s.pk for s in newest[:399]]
    deep_page = alice.home(max_id=newest[420].pk, limit=40)
    assert deep_page == [s.pk for s in newest[421:450]]


def test_a_reblog_of_a_status_already_in_the_feed_is_not_repeated(alice, bob, carol):
    # given alice follows bob and carol, and carol's status is in alice's feed
    dave = Member("dave")
    alice.follow(bob)
    alice.follow(carol)
    alice.home()
    original_id = carol.post("worth sharing")
    wait_until(lambda: alice.feed() == [original_id], "carol's status in alice's feed")

    # when bob reblogs it, and both bob and carol reblog dave's status alice has not seen
    response = bob.client.post(f"/api/v1/statuses/{original_id}/reblog")
    assert response.status_code == 200
    unseen_id = dave.post("from outside")
    first = int(bob.client.post(f"/api/v1/statuses/{unseen_id}/reblog").json()["id"])
    second = int(carol.client.post(f"/api/v1/statuses/{unseen_id}/reblog").json()["id"])
    marker_id = bob.post("marker")

    # then the feed shows the original once and dave's status once, through the first reblog
    wait_until(lambda: marker_id in alice.feed(), "the marker in alice's feed")
    assert second > first
    assert alice.feed() == [marker_id, first, original_id]
    assert alice.home() == [marker_id, first, original_id]


def test_a_deleted_status_leaves_every_feed(alice, bob):
    # given bob's status in alice's feed and his own
    alice.follow(bob)
    alice.home()
    bob.home()
    kept_id = bob.post("kept")
    deleted_id = bob.post("regretted")
    wait_until(lambda: alice.feed() == [deleted_id, kept_id], "the fan-out to alice")

    # when bob deletes it
    response = bob.client.delete(f"/api/v1/statuses/{deleted_id}")
    assert response.status_code == 200

    # then the worker takes it out of alice's and bob's feeds
    wait_until(lambda: alice.feed() == [kept_id], "the removal from alice's feed")
    assert bob.feed() == [kept_id]
    assert alice.home() == [kept_id]


def test_a_status_removed_by_moderation_disappears_from_feeds(alice, bob):
    # given bob's status in alice's feed
    alice.follow(bob)
    alice.home()
    kept_id = bob.post("fine")
    removed_id = bob.post("against the rules")
    wait_until(lambda: alice.feed() == [removed_id, kept_id], "the fan-out to alice")

    # when moderation removes it (the event the moderation app publishes)
    with transaction.atomic():
        events.publish(
            events.ContentActioned(content_type="status", content_id=removed_id, action="remove")
        )

    # then it leaves the feed and the timeline at once
    assert alice.home() == [kept_id]
    wait_until(lambda: alice.feed() == [kept_id], "the removal from alice's feed")


def test_a_cold_feed_is_rebuilt_from_the_database_on_the_next_read(alice, bob):
    # given bob's statuses from before alice ever read her home timeline
    alice.follow(bob)
    older = [bob.post(f"while alice was away {i}") for i in range(3)]
    assert not fanout.client().exists(fanout.feed_key(alice.pk))

    # when alice reads her home timeline
    page = alice.home()

    # then the page comes from the database and her feed is stored
    assert page == older[::-1]
    assert alice.feed() == older[::-1]


def test_an_account_inactive_for_a_week_is_skipped_then_rebuilt(alice, bob):
    # given alice's feed, then her last read more than a week ago
    alice.follow(bob)
    alice.home()
    bob.home()
    first_id = bob.post("first")
    wait_until(lambda: alice.feed() == [first_id], "the fan-out to alice")
    fanout.mark_active([alice.pk], now=time.time() - 8 * 24 * 3600)

    # when bob posts while she is away
    second_id = bob.post("second")
    wait_until(lambda: second_id in bob.feed(), "the fan-out of the second status")

    # then the new status skipped her feed, and her next read rebuilds it
    assert alice.feed() == [first_id]
    assert alice.home() == [second_id, first_id]
    assert alice.feed() == [second_id, first_id]


def test_following_merges_and_unfollowing_unmerges(alice, bob):
    # given alice's warm feed and bob's statuses she has not seen
    own_id = alice.post("mine")
    alice.home()
    bob_ids = [bob.post(f"bob {i}") for i in range(2)]
    assert alice.feed() == [own_id]

    # when alice follows bob
    alice.follow(bob)

    # then his statuses merge into her feed
    wait_until(lambda: len(alice.feed()) == 3, "the merge into alice's feed")
    assert alice.feed() == sorted([own_id, *bob_ids], reverse=True)

    # when she unfollows him
    response = alice.client.post(f"/api/v1/accounts/{bob.pk}/unfollow")
    assert response.status_code == 200

    # then they leave again
    wait_until(lambda: alice.feed() == [own_id], "the unmerge from alice's feed")
    assert alice.home() == [own_id]


def test_blocking_unmerges_and_muting_filters_when_read(alice, bob, carol):
    # given alice follows bob and carol, with their statuses in her feed
    alice.follow(bob)
    alice.follow(carol)
    alice.home()
    bob_id = bob.post("bob here")
    carol_id = carol.post("carol here")
    wait_until(lambda: alice.feed() == [carol_id, bob_id], "the fan-out to alice")

    # when alice mutes carol and blocks bob
    assert alice.client.post(f"/api/v1/accounts/{carol.pk}/mute").status_code == 200
    assert alice.client.post(f"/api/v1/accounts/{bob.pk}/block").status_code == 200

    # then bob's status leaves the feed, carol's stays stored but is not shown
    wait_until(lambda: alice.feed() == [carol_id], "the unmerge of bob")
    assert alice.home() == []


def _pages(member: Member, **params) -> list[list[int]]:
    """Every page of the home timeline, following the max_id cursor, then back with min_id."""
    pages = []
    page = member.home(**params)
    while page:
        pages.append(page)
        page = member.home(max_id=page[-1], **params)
    if pages:
        pages.append(member.home(min_id=pages[-1][-1], **params))
        pages.append(member.home(since_id=pages[0][-1], **params))
    return pages


def test_a_page_whose_newest_entries_are_muted_is_filled_from_further_down(alice, bob, carol):
    # (automated moderation off: forty posts in seconds from new accounts look like a burst)
    Flag.objects.update_or_create(name=flags.AI_MODERATION, defaults={"everyone": False})
    # given bob's 10 older statuses and carol's 30 newer ones in alice's feed
    alice.follow(bob)
    alice.follow(carol)
    alice.home()
    older = [bob.post(f"bob {i}") for i in range(10)]
    newer = [carol.post(f"carol {i}") for i in range(30)]
    wait_until(lambda: len(alice.feed()) == 40, "the fan-out to alice")
    assert alice.home() == list(reversed(newer))[:20]

    # when alice mutes carol (filtered when read: the feed still holds carol's entries)
    response = alice.client.post(f"/api/v1/accounts/{carol.pk}/mute")
    assert response.status_code == 200, response.json()
    assert len(alice.feed()) == 40

    # then the first batch read past the page is all muted, and the page comes from
    # further down the same read: bob's statuses, newest first, however the page is cut
    assert alice.home() == list(reversed(older))
    assert alice.home(limit=5) == list(reversed(older))[:5]
    assert alice.home(max_id=older[5]) == list(reversed(older[:5]))


def test_the_home_timeline_through_the_store_equals_the_database(alice, bob, carol, settings):
    # given a mixed history: visibilities, a reblog, a mute, a block, a hidden status
    dave = Member("dave")
    erin = Member("erin")
    for other in (bob, carol, dave, erin):
        alice.follow(other)
    alice.home()
    for i in range(6):
        bob.post(f"bob public {i}")
        carol.post(f"carol unlisted {i}", visibility="unlisted")
        dave.post(f"dave private {i}", visibility="private")
        erin.post(f"erin {i}")
        alice.post(f"alice {i}")
    outsider = Member("outsider")
    shared = outsider.post("an outsider's post")
    bob.client.post(f"/api/v1/statuses/{shared}/reblog")
    bob.post("@alice a direct message", visibility="direct")
    hidden = carol.post("to be hidden")
    marker = alice.post("marker")
    wait_until(lambda: alice.feed()[:1] == [marker], "the fan-out to alice")
    with transaction.atomic():
        events.publish(
            events.ContentActioned(content_type="status", content_id=hidden, action="hide")
        )
    alice.client.post(f"/api/v1/accounts/{erin.pk}/mute")
    alice.client.post(f"/api/v1/accounts/{dave.pk}/block")
    wait_until(lambda: not set(alice.feed()) & set(dave_ids(dave)), "the unmerge of dave")

    # when the pages are read through the store, then from the database alone
    through_store = _pages(alice, limit=4)
    settings.REDIS_URL = ""
    from_database = _pages(alice, limit=4)

    # then they are the same pages
    assert through_store == from_database
    assert sum(len(p) for p in through_store) > 20


def dave_ids(dave: Member) -> list[int]:
    return list(Status.objects.filter(account=dave.account).values_list("id", flat=True))


def test_a_store_page_costs_the_same_queries_whatever_its_size(alice, bob):
    # given a warm feed with 30 statuses
    alice.follow(bob)
    alice.home()
    Status.objects.bulk_create(
        [Status(account=bob.account, text=f"s{i}", content=f"<p>s{i}</p>") for i in range(30)]
    )
    fanout.rebuild(viewer=alice.account)
    alice.home(limit=1)  # what is cached per viewer (its filters) is read once

    # when pages of 2 and of 30 are read
    with CaptureQueriesContext(connection) as small:
        assert len(alice.home(limit=2)) == 2
    with CaptureQueriesContext(connection) as large:
        assert len(alice.home(limit=30)) == 30

    # then both cost the same number of SQL queries
    assert len(small) == len(large), "\n---\n".join(
        "\n".join(query["sql"][:120] for query in run) for run in (small, large)
    )


def test_a_warm_store_page_with_cached_entities_costs_four_queries(alice, bob):
    # given bob's statuses with mentions and tags in alice's warm feed, read once
    alice.follow(bob)
    alice.home()
    for i in range(5):
        bob.post(f"@alice #topic{i} hello")
    wait_until(lambda: len(alice.feed()) == 5, "the fan-out to alice")
    assert len(alice.home()) == 5

    # when alice reads the same page again
    with CaptureQueriesContext(connection) as queries:
        response = alice.client.get("/api/v1/timelines/home")

    # then the token, the page's rows (with authors and reblogged statuses), the
    # viewer's relations to them and the viewer's flags are queried; mentions and tags
    # come from the entity cache
    assert len(queries) == 4, "\n".join(query["sql"][:160] for query in queries)
    newest = response.json()[0]
    assert [m["username"] for m in newest["mentions"]] == ["alice"]
    assert [t["name"] for t in newest["tags"]] == ["topic4"]


def test_the_store_page_hides_exactly_what_the_database_hides(alice, bob, carol, settings):
    # given alice follows bob, carol (reblogs off), a limited and a suspended account
    limited = Member("limited")
    suspended = Member("suspended")
    stranger = Member("stranger")
    muted = Member("muted")
    blocker = Member("blocker")
    another_limited = Member("another_limited")
    followed = [bob, limited, suspended]
    Follow.objects.bulk_create([Follow(account=alice.account, target=m.account) for m in followed])
    Follow.objects.create(account=alice.account, target=carol.account, show_reblogs=False)
    Mute.objects.create(account=alice.account, target=muted.account)
    Block.objects.create(account=blocker.account, target=alice.account)
    User.objects.filter(pk__in=[limited.account.pk, another_limited.account.pk]).update(
        standing=Standing.LIMITED
    )
    User.objects.filter(pk=suspended.account.pk).update(standing=Standing.SUSPENDED)
    alice.home()

    def status(member, **fields):
        return Status.objects.create(account=member.account, text="s", content="<p>s</p>", **fields)

    def reblog(member, original):
        return status(member, reblog_of=original)

    hidden = status(bob, moderation_state="hidden")
    mentioned_direct = status(bob, visibility="direct")
    Mention.objects.create(status=mentioned_direct, account=alice.account)
    own_hidden = status(alice, moderation_state="hidden")
    everything = [
        status(bob, visibility="private"),
        status(bob, visibility="direct"),
        mentioned_direct,
        hidden,
        status(bob, moderation_state="removed"),
        status(stranger),
        status(limited),
        status(suspended),
        status(alice, moderation_state="hidden"),
        reblog(carol, status(stranger)),
        reblog(bob, status(muted)),
        reblog(bob, status(blocker)),
        reblog(bob, hidden),
        reblog(bob, own_hidden),
        reblog(bob, status(stranger, moderation_state="removed")),
        reblog(bob, status(limited)),
        reblog(bob, status(another_limited)),
        reblog(bob, status(stranger)),
    ]

    # when every one of them (not the originals: a reblog of what the feed holds is
    # not repeated) is pushed into alice's feed regardless of the rules
    for entry in everything:
        fanout.push(entry=fanout.Entry(entry.pk, entry.reblog_of_id), account_ids=[alice.pk])
    through_store = alice.home(limit=40)
    settings.REDIS_URL = ""
    from_database = alice.home(limit=40)

    # then the store shows of them exactly what the database shows
    pushed = {entry.pk for entry in everything}
    assert through_store == [i for i in from_database if i in pushed]
    assert through_store == sorted([everything[i].pk for i in (0, 6, 8, 13, 15, 17)], reverse=True)
