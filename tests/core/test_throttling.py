"""API rate limits per entitlement tier and scope (core.throttling.TierRateThrottle)."""

from datetime import UTC, datetime

import pytest

from core import entitlements
from core.entitlements import Entitlements
from core.throttling import TierRateThrottle
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient

LIMITED = "/api/test/limited"


@pytest.fixture
def tight_rates(settings):
    settings.ROOT_URLCONF = "tests.core.urls_for_tests"
    settings.AGORA_THROTTLE_ENABLED = True
    settings.AGORA_THROTTLE_RATES = {
        "anonymous": {"default": "100/m", "burst": "2/m"},
        "free": {"default": "100/m", "burst": "3/m"},
        "pro": {"default": "100/m", "burst": "5/h"},
    }


class Clock:
    """The throttle's clock, set by the test: 2026-11-30 10:00:30 UTC to begin with."""

    def __init__(self):
        self.now = datetime(2026, 11, 30, 10, 0, 30, tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(TierRateThrottle, "timer", staticmethod(clock))
    return clock


@pytest.fixture
def pro_provider():
    """Billing's stand-in: every signed-in user is on the pro plan."""
    previous = entitlements._provider  # billing's, which later tests rely on
    entitlements.set_provider(lambda user: Entitlements(tier="pro"))
    yield
    entitlements.set_provider(previous)


def statuses(client, count: int) -> list[int]:
    return [client.get(LIMITED).status_code for _ in range(count)]


@pytest.mark.django_db
def test_anonymous_tier_is_cut_off_at_its_rate(tight_rates, clock):
    client = APIClient()

    assert statuses(client, 2) == [200, 200]
    response = client.get(LIMITED)

    # the minute's window began at 10:00:00 and it is 10:00:30
    assert response.status_code == 429
    assert response.json() == {"error": "Too many requests"}
    assert response["Retry-After"] == "30"


def test_free_tier_has_its_own_rate(tight_rates, auth_client):
    assert statuses(auth_client, 4) == [200, 200, 200, 429]


def test_entitlements_provider_changes_the_tier(tight_rates, pro_provider, auth_client, clock):
    # given billing says the user is on the pro plan
    # when they call the scope six times
    codes = statuses(auth_client, 6)

    # then the pro rate (5 an hour) applies, until the hour's window ends at 11:00
    assert codes == [200] * 5 + [429]
    assert auth_client.get(LIMITED)["Retry-After"] == str(3600 - 30)


def test_budget_is_per_account_not_shared(tight_rates, auth_client, token_for):
    # given one account spent its budget
    assert statuses(auth_client, 4)[-1] == 429

    # when another account calls
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(UserFactory())}")

    # then it has its own budget
    assert statuses(other, 3) == [200, 200, 200]


@pytest.mark.django_db
def test_forged_forwarded_for_does_not_reset_the_anonymous_budget(tight_rates):
    client = APIClient()
    codes = [
        client.get(LIMITED, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(3)
    ]

    assert codes == [200, 200, 429]


@pytest.mark.django_db
def test_throttling_can_be_switched_off(tight_rates, settings):
    settings.AGORA_THROTTLE_ENABLED = False

    assert statuses(APIClient(), 5) == [200] * 5


def test_every_response_says_how_much_of_the_budget_is_left(tight_rates, auth_client, clock):
    responses = [auth_client.get(LIMITED) for _ in range(4)]

    # Mastodon's headers: the limit, what is left, and when the window ends (ISO 8601)
    assert [r["X-RateLimit-Limit"] for r in responses] == ["3"] * 4
    assert [r["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert {r["X-RateLimit-Reset"] for r in responses} == {"2026-11-30T10:01:00.000Z"}


def test_the_budget_comes_back_when_the_window_ends(tight_rates, auth_client, clock):
    assert statuses(auth_client, 4) == [200, 200, 200, 429]

    clock.now += 29.5  # 10:00:59.5, still the same minute
    assert statuses(auth_client, 1) == [429]

    clock.now += 0.5  # 10:01:00, a new window
    response = auth_client.get(LIMITED)
    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "2"
    assert response["X-RateLimit-Reset"] == "2026-11-30T10:02:00.000Z"


@pytest.mark.django_db
def test_unthrottled_responses_carry_no_rate_limit_headers(tight_rates, settings):
    settings.AGORA_THROTTLE_ENABLED = False

    response = APIClient().get(LIMITED)

    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response
