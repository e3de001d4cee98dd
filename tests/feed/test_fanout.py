"""The feed store's pure logic, and the home timeline without Redis (the embedded default)."""

import pytest

from apps.feed.fanout import audience, paging, store
from apps.feed.models import Visibility
from core.pagination import PageParams


def page(max_id=None, since_id=None, min_id=None, limit=20) -> PageParams:
    return PageParams(max_id=max_id, since_id=since_id, min_id=min_id, limit=limit)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (page(), paging.RangeQuery(ascending=False, lowest=None, highest=None, count=48)),
        (page(max_id=90), paging.RangeQuery(ascending=False, lowest=None, highest=90, count=48)),
        (page(since_id=10, limit=5), paging.RangeQuery(False, 10, None, 18)),
        (page(min_id=10, since_id=30), paging.RangeQuery(True, 30, None, 48)),
    ],
    ids=["top", "older-than-max-id", "newer-than-since-id", "just-above-min-id"],
)
def test_a_page_becomes_one_range_read(params, expected):
    # given paging parameters / when turned into a range read / then it is the expected one
    assert paging.range_query(params) == expected


def test_ids_are_cut_exactly_at_the_cursors_and_ordered_by_direction():
    # given members read with inclusive bounds (ids beyond 2**53 share scores)
    members = [b"2000000000000000005", b"2000000000000000003", b"2000000000000000001"]

    # when cut by exclusive cursors, both ways
    down = paging.RangeQuery(False, 2000000000000000001, 2000000000000000005, 10)
    up = paging.RangeQuery(True, 2000000000000000001, None, 10)

    # then only the ids strictly inside remain, newest first or oldest first
    assert paging.ids_in_range(members, down) == [2000000000000000003]
    assert paging.ids_in_range(members, up) == [2000000000000000003, 2000000000000000005]


@pytest.mark.parametrize(
    ("query", "floor", "page_size", "read_everything", "answers"),
    [
        (paging.RangeQuery(False, None, None, 48), 100, 20, False, True),
        (paging.RangeQuery(False, None, None, 48), None, 3, True, True),
        (paging.RangeQuery(False, None, None, 48), 100, 3, True, False),
        (paging.RangeQuery(False, None, None, 48), None, 3, False, False),
        (paging.RangeQuery(True, 50, None, 48), 100, 20, False, False),
        (paging.RangeQuery(True, 150, None, 48), 100, 20, False, True),
        (paging.RangeQuery(False, 150, None, 48), 100, 3, True, True),
    ],
    ids=[
        "full-page",
        "short-complete-feed",
        "short-truncated-feed",
        "short-filtered-stretch",
        "min-id-below-floor",
        "min-id-above-floor",
        "since-id-above-floor",
    ],
)
def test_the_store_answers_only_pages_it_can_vouch_for(
    query, floor, page_size, read_everything, answers
):
    # given a page cut from the store / when checked / then the store answers or defers
    result = paging.store_answers(
        query=query, floor=floor, page_size=page_size, limit=20, read_everything=read_everything
    )
    assert result is answers


@pytest.mark.parametrize(
    ("visibility", "is_reblog", "expected"),
    [
        (Visibility.PUBLIC, False, [1, 2, 3]),
        (Visibility.UNLISTED, False, [1, 2, 3]),
        (Visibility.PRIVATE, False, [1, 2, 3]),
        (Visibility.PUBLIC, True, [1, 2]),
        (Visibility.DIRECT, False, [1, 9]),
    ],
    ids=["public", "unlisted", "private", "reblog-skips-reblogs-off", "direct-to-mentioned"],
)
def test_the_audience_follows_mastodons_visibility_rules(visibility, is_reblog, expected):
    # given author 1, followers 2 (shows reblogs) and 3 (reblogs off), 9 mentioned
    feeds = audience.audience_ids(
        author_id=1,
        visibility=visibility,
        is_reblog=is_reblog,
        follower_rows=[(2, True), (3, False)],
        mentioned_ids=[9],
    )

    # then the feeds are the expected ones
    assert feeds == expected


def test_without_redis_the_home_timeline_reads_the_database(alice, bob, settings):
    # given the embedded default (no REDIS_URL) and bob's status that alice follows
    settings.REDIS_URL = ""
    alice.follow(bob)
    status = bob.post("hello")

    # when alice reads her home timeline
    response = alice.client.get("/api/v1/timelines/home")

    # then the database answers, with no feed store involved
    assert store.store_enabled() is False
    assert [s["id"] for s in response.json()] == [status["id"]]
