"""``/api/v1/instance/peers`` and ``/api/v1/instance/activity``, as Mastodon answers them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.feed.models import Status
from apps.feed.selectors.instance import instance_activity
from tests.accounts.factories import AccessTokenFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_peers_are_none_as_agora_does_not_federate(api_client):
    response = api_client.get("/api/v1/instance/peers")
    assert response.status_code == 200
    assert response.json() == []


def test_activity_is_twelve_weeks_of_strings_this_week_first(api_client, alice):
    alice.post("hello")
    alice.post("again")

    response = api_client.get("/api/v1/instance/activity")

    assert response.status_code == 200
    weeks = response.json()
    assert len(weeks) == 12
    assert all(set(week) == {"week", "statuses", "logins", "registrations"} for week in weeks)
    assert all(isinstance(value, str) for week in weeks for value in week.values())
    starts = [int(week["week"]) for week in weeks]
    assert starts == sorted(starts, reverse=True)
    assert {b - a for a, b in zip(starts[1:], starts, strict=False)} == {7 * 24 * 3600}
    monday = datetime.fromtimestamp(starts[0], UTC)
    assert (monday.weekday(), monday.hour, monday.minute) == (0, 0, 0)
    assert weeks[0]["statuses"] == "2"
    assert weeks[0]["registrations"] == "1"
    assert weeks[0]["logins"] == "1"


def test_each_count_lands_in_its_week(alice):
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)  # a Thursday
    last_week = now - timedelta(days=7)
    # Every row is dated against ``now``, not the clock, so the test holds on any day.
    type(alice.account).objects.filter(pk=alice.account.pk).update(date_joined=now)
    status = Status.objects.create(account=alice.account, text="old")
    reblog = Status.objects.create(account=alice.account, reblog_of=status)  # reblogs do not count
    Status.objects.filter(pk__in=[status.pk, reblog.pk]).update(created_at=last_week)
    early = UserFactory(date_joined=now - timedelta(weeks=11, days=3))
    AccessTokenFactory(user=early)
    AccessTokenFactory(user=early)  # a second sign-in in the same week: one account
    AccessTokenFactory._meta.model.objects.filter(user=early).update(created=last_week)
    UserFactory(date_joined=now - timedelta(weeks=30))  # before the window

    weeks = instance_activity(now=now)

    assert weeks[0].week == int(datetime(2026, 11, 30, tzinfo=UTC).timestamp())
    assert [w.statuses for w in weeks[:2]] == [0, 1]
    assert weeks[1].logins == 1
    assert weeks[11].registrations == 1
    assert weeks[0].registrations == 1  # alice
    assert sum(w.registrations for w in weeks) == 2  # alice this week, early in week 11
