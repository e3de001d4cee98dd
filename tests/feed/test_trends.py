"""GET /api/v1/trends/tags, /api/v1/trends (alias) and /api/v1/trends/statuses."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.feed.models import ModerationState, Status
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient
from tests.feed.conftest import Member


def shift(status: dict, **delta) -> None:
    """Move a status back in time."""
    Status.objects.filter(pk=status["id"]).update(created_at=timezone.now() - dt.timedelta(**delta))


def engage(status: dict, *, favourites=0, reblogs=0, replies=0) -> None:
    Status.objects.filter(pk=status["id"]).update(
        favourites_count=favourites, reblogs_count=reblogs, replies_count=replies
    )


def names(response) -> list[str]:
    return [tag["name"] for tag in response.json()]


@pytest.fixture
def crowd(db):
    return [Member(f"member{n}") for n in range(3)]


# Tags ----------------------------------------------------------------------


def test_tags_are_ranked_by_distinct_accounts_in_the_window(alice, crowd):
    # given: one account says #loud five times, three accounts say #popular once each
    for _ in range(5):
        alice.post("#loud")
    for member in crowd:
        member.post("#popular")
    crowd[0].post("#quiet")
    # when
    response = APIClient().get("/api/v1/trends/tags")
    # then
    assert response.status_code == 200
    assert names(response) == ["popular", "loud", "quiet"]
    history = response.json()[0]["history"]
    assert len(history) == 7
    assert (history[0]["uses"], history[0]["accounts"]) == ("3", "3")
    assert response.json()[1]["history"][0]["uses"] == "5"


def test_trends_is_an_alias_of_trending_tags(alice):
    alice.post("#alias")

    assert names(APIClient().get("/api/v1/trends")) == ["alias"]


def test_uses_outside_the_window_do_not_trend_but_stay_in_history(alice, settings):
    # given
    settings.FEED_TRENDS_WINDOW_HOURS = 24
    old = alice.post("#yesterday")
    shift(old, hours=30)
    # when
    trending = APIClient().get("/api/v1/trends/tags").json()
    searched = alice.client.get("/api/v2/search", {"q": "#yesterday"}).json()["hashtags"]
    # then
    assert trending == []
    history = searched[0]["history"]
    assert sum(int(day["uses"]) for day in history) == 1
    assert history[0]["uses"] == "0"


def test_private_hidden_removed_and_undiscoverable_uses_do_not_count(alice, bob, carol):
    # given
    alice.post("#secret", visibility="private")
    alice.post("#secret", visibility="unlisted")
    hidden = bob.post("#secret")
    removed = carol.post("#secret")
    Status.objects.filter(pk=hidden["id"]).update(moderation_state=ModerationState.HIDDEN)
    Status.objects.filter(pk=removed["id"]).update(moderation_state=ModerationState.REMOVED)
    shy = Member("shy", discoverable=False)
    shy.post("#secret")
    # when
    response = APIClient().get("/api/v1/trends/tags")
    # then
    assert response.json() == []


def test_tags_page_with_limit_and_offset(crowd):
    for n in range(len(crowd)):
        for other in crowd[: n + 1]:
            other.post(f"#tag{n}")

    first = APIClient().get("/api/v1/trends/tags", {"limit": 2})
    second = APIClient().get("/api/v1/trends/tags", {"limit": 2, "offset": 2})

    assert names(first) == ["tag2", "tag1"]
    assert 'offset=2>; rel="next"' in first["Link"]
    assert names(second) == ["tag0"]


# Statuses ------------------------------------------------------------------


def test_statuses_are_ranked_by_engagement_decayed_by_age(alice, bob, settings):
    # given: half-life 6h; 12h old with 8 interactions scores 2; fresh with 3 scores 3
    settings.FEED_TRENDS_HALF_LIFE_HOURS = 6
    old_hit = alice.post("old hit")
    fresh = bob.post("fresh")
    quiet = bob.post("no engagement")
    shift(old_hit, hours=12)
    engage(old_hit, favourites=4, reblogs=2, replies=2)
    engage(fresh, favourites=1, reblogs=1, replies=1)
    # when
    response = APIClient().get("/api/v1/trends/statuses")
    # then
    assert response.status_code == 200
    assert [s["id"] for s in response.json()] == [fresh["id"], old_hit["id"]]
    assert quiet["id"] not in [s["id"] for s in response.json()]


def test_trending_statuses_are_public_visible_and_in_the_window(alice, bob, carol, settings):
    # given
    settings.FEED_TRENDS_WINDOW_HOURS = 24
    bob.follow(alice)
    private = alice.post("private", visibility="private")
    unlisted = alice.post("unlisted", visibility="unlisted")
    removed = alice.post("removed")
    old = alice.post("old")
    shown = alice.post("shown")
    for status in (private, unlisted, removed, old, shown):
        engage(status, favourites=5)
    Status.objects.filter(pk=removed["id"]).update(moderation_state=ModerationState.REMOVED)
    shift(old, hours=25)
    # when
    as_follower = bob.client.get("/api/v1/trends/statuses").json()
    as_stranger = carol.client.get("/api/v1/trends/statuses").json()
    # then
    assert [s["id"] for s in as_follower] == [shown["id"]]
    assert [s["id"] for s in as_stranger] == [shown["id"]]


def test_trending_statuses_leave_out_blocked_accounts(alice, bob):
    engage(bob.post("popular"), favourites=3)
    bob.client.post(f"/api/v1/accounts/{alice.id}/block")

    assert alice.client.get("/api/v1/trends/statuses").json() == []
    assert len(APIClient().get("/api/v1/trends/statuses").json()) == 1


# Bad input and query counts --------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/trends/tags", "/api/v1/trends/statuses"])
@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": "x"}, "limit"), ({"limit": "0"}, "limit"), ({"offset": "-2"}, "offset")],
    ids=["limit-word", "limit-zero", "offset-negative"],
)
def test_bad_paging_is_a_422(path, params, field, db):
    response = APIClient().get(path, params)

    assert response.status_code == 422
    assert field in response.json()["details"]


def test_trending_tags_limit_is_capped_at_20(db):
    for n in range(25):
        member = UserFactory(username=f"tagger{n}")
        Status.objects.create(account=member, text=f"#t{n}").tags.create(name=f"t{n}")

    response = APIClient().get("/api/v1/trends/tags", {"limit": 50})

    assert len(response.json()) == 20


def test_query_counts_do_not_grow_with_trends(alice, crowd, django_assert_max_num_queries):
    # given
    alice.post("#one")
    engage(alice.post("hit"), favourites=1)
    client = alice.client
    with django_assert_max_num_queries(10) as few_tags:
        client.get("/api/v1/trends/tags")
    with django_assert_max_num_queries(15) as few_statuses:
        client.get("/api/v1/trends/statuses")
    for n, member in enumerate(crowd):
        member.post(f"#many{n} #more{n}")
        engage(member.post(f"hit {n} #x{n} @alice"), favourites=n + 1)
    # when
    with django_assert_max_num_queries(10) as many_tags:
        tags = client.get("/api/v1/trends/tags").json()
    with django_assert_max_num_queries(15) as many_statuses:
        statuses = client.get("/api/v1/trends/statuses").json()
    # then
    assert len(tags) == 10
    assert len(statuses) == 4
    assert len(many_tags.captured_queries) == len(few_tags.captured_queries)
    assert len(many_statuses.captured_queries) == len(few_statuses.captured_queries)


def test_a_restricted_accounts_tags_and_statuses_do_not_trend(
    alice, crowd, django_capture_on_commit_callbacks
):
    from core import events

    # given: three members say #spam; alice, later limited, says #spam and #mine
    for member in crowd:
        member.post("#spam")
    post = alice.post("#spam #mine")
    engage(post, favourites=50)
    assert "mine" in names(APIClient().get("/api/v1/trends/tags"))
    # when moderation limits alice
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(events.AccountRestricted(account_id=alice.account.pk, restriction="limit"))
    # then her tag and her status no longer trend, and #spam counts only the others
    tags = APIClient().get("/api/v1/trends/tags").json()
    assert [tag["name"] for tag in tags] == ["spam"]
    assert tags[0]["history"][0]["accounts"] == "3"
    statuses = APIClient().get("/api/v1/trends/statuses").json()
    assert post["id"] not in [status["id"] for status in statuses]
