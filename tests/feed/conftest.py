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
