"""Exact-name resolution finds an account the viewer blocks, as Mastodon's search does.

toot unblocks, follows and mutes by name: it searches ``/api/v2/search`` with
``resolve=true`` for the name and picks the account whose ``acct`` matches. Other
searches keep leaving blocked accounts out.
"""

from __future__ import annotations

import pytest

from apps.feed.models import Block
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _accounts(member, **params) -> list[str]:
    response = member.client.get("/api/v2/search", params)
    assert response.status_code == 200, response.json()
    return [account["username"] for account in response.json()["accounts"]]


@pytest.fixture
def carol_blocked(alice, carol):
    UserFactory(username="carolina")
    response = alice.client.post(f"/api/v1/accounts/{carol.id}/block")
    assert response.status_code == 200
    return carol


@pytest.mark.parametrize(
    "params",
    [
        {"q": "carol", "resolve": "true"},
        {"q": "@carol", "resolve": "true"},
        {"q": "CAROL", "resolve": "true", "type": "accounts"},
        {"q": "@carol"},
        {"q": "carol@{domain}"},
        {"q": "@carol@{domain}", "type": "accounts"},
    ],
    ids=["resolve", "resolve-at", "resolve-case", "at-name", "acct", "at-acct"],
)
def test_an_exact_acct_finds_the_account_the_viewer_blocks(alice, carol_blocked, settings, params):
    domain = settings.AGORA_DOMAIN.split(":")[0]
    params = {key: value.format(domain=domain) for key, value in params.items()}

    found = _accounts(alice, **params)

    assert found[0] == "carol"
    assert "carolina" in found


def test_the_blocked_account_found_by_name_can_be_unblocked(alice, carol_blocked):
    found = alice.client.get("/api/v2/search", {"q": "carol", "resolve": "true"}).json()
    carol_id = found["accounts"][0]["id"]

    response = alice.client.post(f"/api/v1/accounts/{carol_id}/unblock")

    assert response.status_code == 200
    assert Block.objects.count() == 0


def test_lookup_finds_the_account_the_viewer_blocks(alice, carol_blocked):
    response = alice.client.get("/api/v1/accounts/lookup", {"acct": "carol"})

    assert response.status_code == 200
    assert response.json()["username"] == "carol"


@pytest.mark.parametrize(
    "params",
    [{"q": "carol"}, {"q": "car", "resolve": "true"}, {"q": "@car"}, {"q": "carol", "offset": "1"}],
    ids=["name-without-resolve", "prefix-with-resolve", "at-prefix", "later-page"],
)
def test_other_searches_still_hide_the_blocked_account(alice, carol_blocked, params):
    assert "carol" not in _accounts(alice, **params)


def test_an_exact_acct_does_not_find_an_account_that_blocks_the_viewer(alice, bob):
    bob.client.post(f"/api/v1/accounts/{alice.id}/block")

    assert _accounts(alice, q="bob", resolve="true") == []


def test_an_exact_acct_with_following_does_not_add_the_blocked_account(alice, carol_blocked):
    assert _accounts(alice, q="carol", resolve="true", following="true") == []


@pytest.mark.parametrize("standing", ["suspended", "disabled"])
def test_an_exact_acct_does_not_find_a_suspended_or_disabled_account(alice, carol, standing):
    from apps.accounts import services

    services.account_standing_set(account_id=carol.account.pk, standing=standing)

    assert _accounts(alice, q="carol", resolve="true") == []
    assert _accounts(alice, q="@carol") == []
