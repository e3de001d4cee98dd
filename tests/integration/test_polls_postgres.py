"""Polls on PostgreSQL: concurrent votes all count, one account votes once however many
requests race, and a poll's end is notified once however many runs race."""

import threading

import pytest
from django.db import connections
from django.utils import timezone

from apps.feed import services
from apps.feed.models import Notification, Poll, PollVote
from core import errors as platform_errors
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.integration


def race(calls) -> list:
    """Run ``calls`` in threads released together; the exceptions they raised."""
    barrier = threading.Barrier(len(calls))
    raised: list = []

    def run(call):
        try:
            barrier.wait()
            call()
        except Exception as error:  # noqa: BLE001 (reported to the test)
            raised.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return raised


def poll_of_new_status(**poll) -> Poll:
    author = UserFactory(username="pollster")
    params = services.PollParams(options=["a", "b", "c"], expires_in=3600, **poll)
    status = services.status_create(author=author, text="which?", poll=params)
    return Poll.objects.get(status=status)


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_all_count():
    poll = poll_of_new_status(multiple=True)
    voters = [UserFactory(username=f"voter{n}") for n in range(8)]

    raised = race(
        [
            lambda voter=voter, n=n: services.poll_vote(
                poll=poll, voter=voter, choices=[n % 3, (n + 1) % 3]
            )
            for n, voter in enumerate(voters)
        ]
    )

    assert raised == []
    poll.refresh_from_db()
    assert (poll.votes_count, poll.voters_count) == (16, 8)
    assert sum(poll.cached_tallies) == 16
    assert PollVote.objects.filter(poll=poll).count() == 16


@pytest.mark.django_db(transaction=True)
def test_one_account_racing_itself_votes_once():
    poll = poll_of_new_status()
    voter = UserFactory(username="eager")

    raised = race(
        [lambda n=n: services.poll_vote(poll=poll, voter=voter, choices=[n % 3]) for n in range(5)]
    )

    assert len(raised) == 4
    assert all(isinstance(error, platform_errors.Invalid) for error in raised)
    poll.refresh_from_db()
    assert (poll.votes_count, poll.voters_count, sum(poll.cached_tallies)) == (1, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_racing_expiry_runs_notify_once():
    poll = poll_of_new_status()
    services.poll_vote(poll=poll, voter=UserFactory(username="voter"), choices=[0])
    Poll.objects.filter(pk=poll.pk).update(expires_at=timezone.now())

    raised = race([lambda: services.poll_expire(poll_id=poll.pk) for _ in range(4)])

    assert raised == []
    assert Notification.objects.filter(type="poll").count() == 2
