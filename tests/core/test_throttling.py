"""API rate limits per entitlement tier and scope (core.throttling.TierRateThrottle)."""

import pytest
from rest_framework.test import APIClient

from core import entitlements
from core.entitlements import Entitlements
from tests.accounts.factories import UserFactory

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


@pytest.fixture
def pro_provider():
    """Billing's stand-in: every signed-in user is on the pro plan."""
    entitlements.set_provider(lambda user: Entitlements(tier="pro"))
    yield
    entitlements.set_provider(None)


def statuses(client, count: int) -> list[int]:
    return [client.get(LIMITED).status_code for _ in range(count)]


@pytest.mark.django_db
def test_anonymous_tier_is_cut_off_at_its_rate(tight_rates):
    client = APIClient()

    assert statuses(client, 2) == [200, 200]
    response = client.get(LIMITED)

    assert response.status_code == 429
    assert response.json() == {"error": "Too many requests"}
    assert 1 <= int(response["Retry-After"]) <= 60


def test_free_tier_has_its_own_rate(tight_rates, auth_client):
    assert statuses(auth_client, 4) == [200, 200, 200, 429]


def test_entitlements_provider_changes_the_tier(tight_rates, pro_provider, auth_client):
    # given billing says the user is on the pro plan
    # when they call the scope six times
    codes = statuses(auth_client, 6)

    # then the pro rate (5 an hour) applies, with an hour's window in Retry-After
    assert codes == [200] * 5 + [429]
    assert 60 < int(auth_client.get(LIMITED)["Retry-After"]) <= 3600


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
