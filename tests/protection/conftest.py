"""Fixtures of the protection tests."""

import pytest

from tests.feed.conftest import Member, alice, bob, carol  # noqa: F401

STANDING_URL = "/api/agora/v1/account/standing"


def standing_of(member: Member) -> dict:
    """``member``'s standing page, which must answer 200."""
    response = member.client.get(STANDING_URL)
    assert response.status_code == 200, response.json()
    return response.json()


def surfaces_of(page: dict) -> dict[str, dict]:
    """The page's surfaces by name."""
    return {surface["surface"]: surface for surface in page["surfaces"]}


def states_of(page: dict) -> dict[str, str]:
    return {name: surface["state"] for name, surface in surfaces_of(page).items()}


@pytest.fixture
def trust_levels():
    """A reputation provider for the test: ``trust_levels[account_id] = Level.NEW``, ...

    The provider in place before (protection's, or none) comes back afterwards.
    """
    from core import reputation

    levels: dict[int, str] = {}

    def provider(account_ids: list[int]) -> dict[int, reputation.Trust]:
        return {
            account_id: reputation.Trust(score=0.1, level=levels[account_id])
            for account_id in account_ids
            if account_id in levels
        }

    previous = reputation._provider
    reputation.set_provider(provider)
    yield levels
    reputation.set_provider(previous)
