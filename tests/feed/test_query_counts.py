"""Queries that must not grow with the data: posting to followers who asked to be
notified, and a status's context (ancestors and descendants)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.feed import services
from apps.feed.models import Block, Follow, Mute, Notification, Status
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def notified_followers(author, count: int) -> list:
    followers = [UserFactory() for _ in range(count)]
    Follow.objects.bulk_create(
        [Follow(account=follower, target=author, notify=True) for follower in followers]
    )
    return followers


def queries_to_post(author) -> int:
    with CaptureQueriesContext(connection) as captured:
        services.status_create(author=author, text="news")
    return len(captured)


def test_posting_costs_the_same_for_one_and_fifty_notified_followers():
    # given: a first post warms what is cached per process
    services.status_create(author=UserFactory(), text="warm up")
    few, many = UserFactory(), UserFactory()
    notified_followers(few, 1)
    notified_followers(many, 50)

    # when
    for_one, for_fifty = queries_to_post(few), queries_to_post(many)

    # then
    assert for_fifty == for_one
    assert Notification.objects.filter(from_account=many, type="status").count() == 50


def test_a_post_notifies_the_followers_who_asked_except_those_blocked_or_muting():
    # given
    author = UserFactory()
    asked, blocking, blocked, muting, muted_lapsed, unasked = notified_followers(author, 6)
    Follow.objects.filter(account=unasked).update(notify=False)
    Block.objects.create(account=blocking, target=author)
    Block.objects.create(account=author, target=blocked)
    Mute.objects.create(account=muting, target=author)
    Mute.objects.create(
        account=muted_lapsed, target=author, expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    # when
    status = services.status_create(author=author, text="news")

    # then
    notified = Notification.objects.filter(from_account=author, type="status", status=status)
    assert set(notified.values_list("account_id", flat=True)) == {asked.pk, muted_lapsed.pk}


def test_a_muter_who_still_wants_notifications_is_notified():
    # given
    author = UserFactory()
    (follower,) = notified_followers(author, 1)
    Mute.objects.create(account=follower, target=author, hide_notifications=False)

    # when
    services.status_create(author=author, text="news")

    # then
    assert Notification.objects.filter(account=follower, type="status").count() == 1


@pytest.mark.parametrize(
    "visibility",
    [pytest.param("direct", id="direct")],
)
def test_a_direct_message_notifies_no_follower(visibility):
    # given
    author = UserFactory()
    notified_followers(author, 2)

    # when
    services.status_create(author=author, text="psst", visibility=visibility)

    # then
    assert not Notification.objects.filter(type="status").exists()


def test_mentions_cost_the_same_for_one_and_ten_accounts():
    # given
    services.status_create(author=UserFactory(), text="warm up")
    named = [UserFactory(username=f"named{n}") for n in range(10)]
    author = UserFactory()

    # when
    with CaptureQueriesContext(connection) as one:
        services.status_create(author=author, text="hi @named0")
    with CaptureQueriesContext(connection) as ten:
        services.status_create(
            author=author, text=" ".join(f"@{account.username}" for account in named)
        )

    # then
    assert len(ten) == len(one)
    assert Notification.objects.filter(type="mention").count() == 11
    assert Status.objects.filter(account=author).count() == 2
