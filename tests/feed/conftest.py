import pytest

from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient


class Member:
    """An account with an API client signed in as it."""

    def __init__(self, username: str, **fields):
        self.account = UserFactory(username=username, **fields)
        self.client = APIClient()
        token = AccessTokenFactory(user=self.account, scope="read write follow push").token
        self.token = token
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    @property
    def id(self) -> str:
        return str(self.account.pk)

    def post(self, text: str, **extra) -> dict:
        response = self.client.post("/api/v1/statuses", {"status": text, **extra}, format="json")
        assert response.status_code == 200, response.json()
        return response.json()

    def follow(self, other: "Member") -> dict:
        response = self.client.post(f"/api/v1/accounts/{other.id}/follow")
        assert response.status_code == 200, response.json()
        return response.json()


@pytest.fixture
def alice(db):
    return Member("alice")


@pytest.fixture
def bob(db):
    return Member("bob")


@pytest.fixture
def carol(db):
    return Member("carol")


@pytest.fixture
def paying_members():
    """A membership provider on ``core.memberships`` for the test: ``paying_members[fan_id]``
    is the set of creator ids the fan pays (edit it to start or end a membership). The
    providers in place before (billing's, or none) come back afterwards."""
    from core import memberships

    creators_by_fan: dict[int, set[int]] = {}

    def membership(fan_id: int, creator_id: int):
        if creator_id not in creators_by_fan.get(fan_id, set()):
            return None
        return memberships.Membership(creator_id=creator_id, tier_id=1, tier="member")

    def creators(fan_id: int) -> frozenset[int]:
        return frozenset(creators_by_fan.get(fan_id, set()))

    previous = (memberships._provider, memberships._bulk_provider)
    memberships.set_provider(membership, creators)
    yield creators_by_fan
    memberships.set_provider(*previous)
