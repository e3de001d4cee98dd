"""Limited, suspended and disabled accounts (core.events.AccountRestricted), as readers see them."""

import datetime as dt
import logging

import pytest
from django.utils import timezone

from apps.accounts.models import Standing, User
from apps.feed.models import Notification
from core import events
from tests.api_client import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def restrict(django_capture_on_commit_callbacks):
    """``restrict(member, "limit")``: moderation publishes AccountRestricted, delivered on commit."""

    def publish(member, restriction, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            events.publish(
                events.AccountRestricted(
                    account_id=member.account.pk, restriction=restriction, **extra
                )
            )

    return publish


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()]


@pytest.fixture
def limited_world(alice, bob, carol, restrict):
    """alice is limited; bob follows her, carol does not. alice posted and bob reblogged it."""
    bob.follow(alice)
    post = alice.post("hello from alice #news")
    reblog = bob.client.post(f"/api/v1/statuses/{post['id']}/reblog").json()
    restrict(alice, "limit", reason="spam")
    return post, reblog


def test_a_limited_accounts_post_reaches_only_its_followers(alice, bob, carol, limited_world):
    post, _reblog = limited_world
    url = f"/api/v1/statuses/{post['id']}"

    assert bob.client.get(url).status_code == 200
    assert alice.client.get(url).status_code == 200
    assert carol.client.get(url).status_code == 404
    assert APIClient().get(url).status_code == 404
    assert post["id"] in ids(bob.client.get("/api/v1/timelines/home"))
    assert ids(carol.client.get(f"/api/v1/accounts/{alice.id}/statuses")) == []
    assert ids(bob.client.get(f"/api/v1/accounts/{alice.id}/statuses")) == [post["id"]]
    assert carol.client.get(f"{url}/context").status_code == 404


def test_a_limited_accounts_post_is_in_no_public_or_tag_timeline_even_for_followers(
    alice, bob, carol, limited_world
):
    for member in (alice, bob, carol):
        assert ids(member.client.get("/api/v1/timelines/public")) == []
        assert ids(member.client.get("/api/v1/timelines/tag/news")) == []
    assert ids(APIClient().get("/api/v1/timelines/public")) == []


def test_a_reblog_of_a_limited_account_does_not_carry_it_to_strangers(
    alice, bob, carol, limited_world
):
    _post, reblog = limited_world

    assert ids(carol.client.get(f"/api/v1/accounts/{bob.id}/statuses")) == []
    assert carol.client.get(f"/api/v1/statuses/{reblog['id']}").status_code == 404
    assert ids(bob.client.get(f"/api/v1/accounts/{bob.id}/statuses")) == [reblog["id"]]


def test_a_limited_accounts_mention_of_a_stranger_does_not_notify_them(alice, carol, restrict):
    # given
    restrict(alice, "limit")

    # when
    alice.post("@carol buy my stuff")

    # then
    assert ids(carol.client.get("/api/v1/notifications")) == []


def test_a_limited_accounts_post_is_not_found_by_strangers_searching(
    alice, bob, carol, limited_world
):
    def found(member):
        response = member.client.get("/api/v2/search", {"q": "alice", "type": "statuses"})
        assert response.status_code == 200, response.json()
        return [status["id"] for status in response.json()["statuses"]]

    assert found(carol) == []
    assert found(bob) == [limited_world[0]["id"]]


def test_lifting_the_limit_brings_the_posts_back(alice, carol, limited_world, restrict):
    # given
    post, _reblog = limited_world

    # when
    restrict(alice, "none")

    # then
    assert User.objects.get(pk=alice.account.pk).standing == Standing.NONE
    assert carol.client.get(f"/api/v1/statuses/{post['id']}").status_code == 200
    assert ids(carol.client.get("/api/v1/timelines/public")) == [post["id"]]
    assert ids(APIClient().get("/api/v1/timelines/tag/news")) == [post["id"]]


def test_a_limit_past_its_end_no_longer_applies(alice, carol, restrict):
    # given
    post = alice.post("back again")
    restrict(alice, "limit", until=(timezone.now() - dt.timedelta(minutes=1)).isoformat())

    # then
    assert User.objects.get(pk=alice.account.pk).standing == Standing.LIMITED
    assert ids(carol.client.get("/api/v1/timelines/public")) == [post["id"]]


@pytest.mark.parametrize("restriction", ["suspend", "disable"])
def test_a_suspended_or_disabled_accounts_statuses_vanish_everywhere(
    alice, bob, carol, restrict, restriction
):
    # given
    bob.follow(alice)
    post = alice.post("@carol hello #news")
    reblog = bob.client.post(f"/api/v1/statuses/{post['id']}/reblog").json()
    bob.client.post(f"/api/v1/statuses/{post['id']}/bookmark")
    assert len(ids(carol.client.get("/api/v1/notifications"))) == 1

    # when
    restrict(alice, restriction, until=(timezone.now() + dt.timedelta(days=7)).isoformat())

    # then
    for member in (bob, carol):
        assert member.client.get(f"/api/v1/statuses/{post['id']}").status_code == 404
        assert member.client.get(f"/api/v1/statuses/{reblog['id']}").status_code == 404
        assert ids(member.client.get("/api/v1/timelines/public")) == []
        assert ids(member.client.get("/api/v1/timelines/tag/news")) == []
        assert ids(member.client.get(f"/api/v1/accounts/{alice.id}/statuses")) == []
    assert ids(bob.client.get("/api/v1/timelines/home")) == []
    assert ids(bob.client.get("/api/v1/bookmarks")) == []
    assert ids(carol.client.get("/api/v1/notifications")) == []
    assert APIClient().get(f"/api/v1/statuses/{post['id']}").status_code == 404


def test_a_restriction_event_with_an_unknown_restriction_changes_nothing(
    alice, carol, restrict, caplog
):
    # given
    post = alice.post("still here")

    # when
    with caplog.at_level(logging.ERROR, logger="core.events"):
        restrict(alice, "banish")

    # then
    assert User.objects.get(pk=alice.account.pk).standing == Standing.NONE
    assert ids(carol.client.get("/api/v1/timelines/public")) == [post["id"]]
    assert [record.message for record in caplog.records] == ["event handler failed"]


def test_a_restriction_changes_the_kind_in_place(alice, restrict):
    # when
    restrict(alice, "limit", reason="spam")
    restrict(alice, "suspend", reason="worse")

    # then
    account = User.objects.get(pk=alice.account.pk)
    assert (account.standing, account.standing_reason, account.standing_until) == (
        Standing.SUSPENDED,
        "worse",
        None,
    )


def test_the_public_timeline_query_count_stays_flat_with_limits(
    alice, bob, carol, restrict, django_assert_max_num_queries
):
    # given
    restrict(alice, "limit")
    for n in range(3):
        bob.post(f"post {n} #news")
    with django_assert_max_num_queries(12) as small:
        carol.client.get("/api/v1/timelines/public")
        small_count = len(small)
    for n in range(3, 20):
        bob.post(f"post {n} #news")

    # then
    with django_assert_max_num_queries(small_count):
        assert len(ids(carol.client.get("/api/v1/timelines/public"))) == 20


def test_a_suspended_account_is_neither_mentioned_nor_notified(alice, carol, restrict):
    # given
    restrict(carol, "suspend")

    # when
    posted = alice.post("hello @carol")

    # then the name stays plain text, and carol (once lifted) finds nothing waiting
    assert posted["mentions"] == []
    assert not Notification.objects.filter(account=carol.account).exists()
