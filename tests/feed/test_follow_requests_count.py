"""verify_credentials' source.follow_requests_count: the feed's pending follow requests,
reported to accounts through core.relationships (accounts cannot import the feed)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.feed.models import FollowRequest
from tests.accounts.factories import UserFactory
from tests.feed.conftest import Member

pytestmark = pytest.mark.django_db


def asked_by(member, count: int) -> list:
    requesters = [UserFactory() for _ in range(count)]
    FollowRequest.objects.bulk_create(
        [FollowRequest(account=requester, target=member.account) for requester in requesters]
    )
    return requesters


def credentials(member) -> dict:
    response = member.client.get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def locked(db):
    return Member("locked", locked=True)


def test_a_locked_account_sees_its_pending_follow_requests(locked, bob, carol):
    # given: two ask through the API
    bob.follow(locked)
    carol.follow(locked)

    # when
    source = credentials(locked)["source"]

    # then
    assert source["follow_requests_count"] == 2


def test_an_answered_request_no_longer_counts(locked, bob, carol):
    # given
    bob.follow(locked)
    carol.follow(locked)

    # when
    assert locked.client.post(f"/api/v1/follow_requests/{bob.id}/authorize").status_code == 200
    assert locked.client.post(f"/api/v1/follow_requests/{carol.id}/reject").status_code == 200

    # then
    assert credentials(locked)["source"]["follow_requests_count"] == 0


def test_a_requester_unable_to_act_is_not_counted_as_the_list_leaves_it_out(locked):
    # given
    active, inactive = asked_by(locked, 2)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])

    # when
    count = credentials(locked)["source"]["follow_requests_count"]

    # then
    listed = locked.client.get("/api/v1/follow_requests").json()
    assert count == len(listed) == 1
    assert listed[0]["id"] == str(active.pk)


def test_the_count_costs_no_query_per_request(locked):
    # given
    asked_by(locked, 2)
    credentials(locked)  # warm up
    with CaptureQueriesContext(connection) as two:
        assert credentials(locked)["source"]["follow_requests_count"] == 2
    asked_by(locked, 48)

    # when
    with CaptureQueriesContext(connection) as fifty:
        assert credentials(locked)["source"]["follow_requests_count"] == 50

    # then
    assert len(fifty) == len(two)
