"""The feed's tighter limits for new and low-trust accounts (core.throttling, by core.reputation)."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.feed.models import Follow, Status
from apps.protection.models import Reputation
from tests.feed.conftest import Member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tight(settings):
    settings.AGORA_THROTTLE_ENABLED = True
    settings.PROTECTION_TRUST_RATES = {
        "new": {"statuses": "2/h", "follows": "2/h", "mentions": "4/h"},
        "low": {"statuses": "1/h", "follows": "1/h", "mentions": "2/h"},
    }
    settings.PROTECTION_MAX_MENTIONS = {"new": 3, "low": 2}


def newcomer(name: str = "newbie") -> Member:
    return Member(name)


def established(name: str = "veteran") -> Member:
    member = Member(name, date_joined=timezone.now() - dt.timedelta(days=400))
    Reputation.objects.create(account=member.account, score=0.9, level="established")
    return member


def low(name: str = "shady") -> Member:
    member = Member(name, date_joined=timezone.now() - dt.timedelta(days=60))
    Reputation.objects.create(account=member.account, score=0.1, level="low")
    return member


def post(member: Member, text: str):
    return member.client.post("/api/v1/statuses", {"status": text}, format="json")


def assert_rate_limited(response, *, limit: int):
    assert response.status_code == 429
    assert response.json() == {"error": "Too many requests"}
    assert response["X-RateLimit-Limit"] == str(limit)
    assert response["X-RateLimit-Remaining"] == "0"
    assert response["X-RateLimit-Reset"].endswith("Z")
    assert int(response["Retry-After"]) > 0


def test_a_new_account_over_its_posting_limit_gets_429_with_the_headers():
    member = newcomer()

    first, second, third = (post(member, f"hello {n}") for n in range(3))

    assert [first.status_code, second.status_code] == [200, 200]
    assert first["X-RateLimit-Limit"] == "2"
    assert first["X-RateLimit-Remaining"] == "1"
    assert_rate_limited(third, limit=2)
    assert Status.objects.filter(account=member.account).count() == 2


def test_a_low_trust_account_has_the_tightest_posting_limit():
    member = low()

    assert post(member, "one").status_code == 200
    assert_rate_limited(post(member, "two"), limit=1)


def test_an_established_account_is_held_only_to_its_plan():
    member = established()

    codes = [post(member, f"hello {n}").status_code for n in range(4)]

    assert codes == [200, 200, 200, 200]
    assert Status.objects.filter(account=member.account).count() == 4


def test_scheduled_statuses_count_against_the_posting_limit():
    member = newcomer()
    at = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    for n in range(2):
        post(member, f"now {n}")

    response = member.client.post(
        "/api/v1/statuses", {"status": "later", "scheduled_at": at}, format="json"
    )

    assert_rate_limited(response, limit=2)


def test_a_new_account_over_its_follow_limit_gets_429(crowd):
    member = newcomer()
    targets = crowd

    codes = [member.client.post(f"/api/v1/accounts/{t.id}/follow").status_code for t in targets[:2]]
    refused = member.client.post(f"/api/v1/accounts/{targets[2].id}/follow")

    assert codes == [200, 200]
    assert_rate_limited(refused, limit=2)
    assert Follow.objects.filter(account=member.account).count() == 2
    # unfollowing is never held back
    assert member.client.post(f"/api/v1/accounts/{crowd[0].id}/unfollow").status_code == 200


def test_an_established_account_follows_freely(crowd):
    member = established()

    codes = [member.client.post(f"/api/v1/accounts/{t.id}/follow").status_code for t in crowd[:4]]

    assert codes == [200, 200, 200, 200]


@pytest.fixture
def crowd(db):
    return [Member(f"friend{n}") for n in range(5)]


def mentioning(crowd, count: int) -> str:
    return " ".join(f"@{m.account.username}" for m in crowd[:count]) + " hi"


def test_a_status_mentioning_more_than_a_new_account_may_is_refused_with_422(crowd):
    member = newcomer()

    response = post(member, mentioning(crowd, 4))

    assert response.status_code == 422
    assert response.json()["details"] == {
        "status": [
            {
                "error": "ERR_INVALID",
                "description": "your account may mention at most 3 accounts in one status for now",
            }
        ]
    }
    assert not Status.objects.filter(account=member.account).exists()


def test_a_new_account_over_its_hourly_mentions_gets_429(crowd, settings):
    settings.PROTECTION_TRUST_RATES["new"]["statuses"] = "10/h"
    member = newcomer()

    first = post(member, mentioning(crowd, 3))
    second = post(member, mentioning(crowd, 2))  # 5 of 4

    assert first.status_code == 200
    assert_rate_limited(second, limit=4)
    assert Status.objects.filter(account=member.account).count() == 1


def test_an_established_account_mentions_freely(crowd):
    member = established()

    assert post(member, mentioning(crowd, 5)).status_code == 200
    assert post(member, mentioning(crowd, 5)).status_code == 200


def test_without_protection_nobody_is_tightened(crowd, monkeypatch):
    from core import reputation

    monkeypatch.setattr(reputation, "_provider", None)
    member = newcomer()

    codes = [post(member, mentioning(crowd, 5)).status_code for _ in range(3)]

    assert codes == [200, 200, 200]


def test_posting_with_mentions_asks_for_the_trust_once(crowd):
    from core import reputation

    member = established()
    asked = []
    provider = reputation._provider

    def counting(ids):
        asked.append(ids)
        return provider(ids)

    reputation.set_provider(counting)
    try:
        assert post(member, mentioning(crowd, 2)).status_code == 200
    finally:
        reputation.set_provider(provider)

    assert asked == [[member.account.pk]]
