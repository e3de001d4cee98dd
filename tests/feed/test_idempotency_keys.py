"""Idempotency-Key on POST /api/v1/statuses, for statuses and scheduled statuses alike
(one helper, core.idempotency): kept per account for an hour, first result returned."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from apps.feed.models import ScheduledStatus, Status
from core import idempotency

pytestmark = pytest.mark.django_db


def post(member, key, **extra):
    return member.client.post(
        "/api/v1/statuses", {"status": "once", **extra}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def later() -> dict:
    return {"scheduled_at": (timezone.now() + dt.timedelta(minutes=10)).isoformat()}


@pytest.mark.parametrize(
    ("extra", "model"),
    [pytest.param({}, Status, id="status"), pytest.param("later", ScheduledStatus, id="scheduled")],
)
def test_another_account_with_the_same_key_gets_its_own(alice, bob, extra, model):
    # given
    extra = later() if extra == "later" else extra
    first = post(alice, "k1", **extra)

    # when
    second = post(bob, "k1", **extra)

    # then
    assert second.status_code == 200
    assert second.json()["id"] != first.json()["id"]
    assert model.objects.filter(account=bob.account).count() == 1


def test_a_status_and_a_scheduled_status_keep_their_keys_apart(alice):
    # when
    now = post(alice, "k1")
    scheduled = post(alice, "k1", **later())

    # then
    assert "scheduled_at" in scheduled.json()
    assert Status.objects.filter(account=alice.account).count() == 1
    assert ScheduledStatus.objects.get().pk == int(scheduled.json()["id"])
    assert now.json()["id"] == str(Status.objects.get().pk)


def test_a_deleted_first_status_is_posted_again(alice):
    # given
    first = post(alice, "k1").json()
    assert alice.client.delete(f"/api/v1/statuses/{first['id']}").status_code == 200

    # when
    again = post(alice, "k1")

    # then
    assert again.status_code == 200
    assert again.json()["id"] != first["id"]
    assert Status.objects.filter(account=alice.account).count() == 1


def test_a_cancelled_scheduled_status_is_scheduled_again(alice):
    # given
    first = post(alice, "k1", **later()).json()
    assert alice.client.delete(f"/api/v1/scheduled_statuses/{first['id']}").status_code == 200

    # when
    again = post(alice, "k1", **later())

    # then
    assert again.json()["id"] != first["id"]
    assert ScheduledStatus.objects.count() == 1


def test_the_key_is_forgotten_after_an_hour(alice, monkeypatch):
    # given
    first = post(alice, "k1").json()
    started = time.time()

    # when: the cache's clock moves past the hour
    monkeypatch.setattr(time, "time", lambda: started + idempotency.TTL_SECONDS + 1)
    second = post(alice, "k1").json()

    # then
    assert second["id"] != first["id"]
    assert Status.objects.filter(account=alice.account).count() == 2


def test_a_refused_status_does_not_take_the_key(alice):
    # given
    refused = post(alice, "k1", status="x" * 501)
    assert refused.status_code == 422

    # when
    accepted = post(alice, "k1")

    # then
    assert accepted.status_code == 200
    assert Status.objects.filter(account=alice.account).count() == 1
