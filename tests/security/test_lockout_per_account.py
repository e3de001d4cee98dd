"""The login lockout counts per account and per account-and-address, with a ceiling per address.

- per account and address (AXES_FAILURE_LIMIT, 5): the guesser at one address stops;
- per account (AGORA_LOCKOUT_ACCOUNT_LIMIT): guessing from many addresses stops too;
- per address (AGORA_LOCKOUT_ADDRESS_LIMIT): one address trying many accounts stops;

and one account's failures never lock another account's correct login out, however
the identifier is spelt, and a successful login on another account resets nothing.
"""

import pytest
from django.test import Client

from tests.accounts.factories import DEFAULT_PASSWORD, ApplicationFactory, UserFactory

SECRET = "app-secret"  # noqa: S105
HOME = "198.51.100.7"


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AGORA_LOCKOUT_ACCOUNT_LIMIT = 8
    settings.AGORA_LOCKOUT_ADDRESS_LIMIT = 12
    return settings


@pytest.fixture
def app(db):
    return ApplicationFactory(client_secret=SECRET)


def token_grant(app, username, password, *, address=HOME) -> int:
    """``POST /oauth/token`` with the password grant; the answer's status code."""
    return (
        Client()
        .post(
            "/oauth/token",
            {
                "grant_type": "password",
                "client_id": app.client_id,
                "client_secret": SECRET,
                "username": username,
                "password": password,
                "scope": "read",
            },
            REMOTE_ADDR=address,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{hash(password) % 250}",
        )
        .status_code
    )


def web_login(username, password, *, address=HOME) -> int:
    """``POST /auth/login/``; the answer's status code (302 is signed in)."""
    return (
        Client()
        .post("/auth/login/", {"username": username, "password": password}, REMOTE_ADDR=address)
        .status_code
    )


@pytest.mark.parametrize("login", ["token", "web"])
def test_one_accounts_failures_do_not_lock_out_another_account_at_the_same_address(
    limits, app, login
):
    # given an address that guessed one account's password until it was locked out
    victim, neighbour = UserFactory(), UserFactory()
    attempt = (lambda *a, **k: token_grant(app, *a, **k)) if login == "token" else web_login
    signed_in = 200 if login == "token" else 302
    guesses = [attempt(victim.email, f"guess-{n}") for n in range(10)]

    # when another account signs in correctly from that address
    answer = attempt(neighbour.email, DEFAULT_PASSWORD)

    # then the guessed account is locked, and the other one is not
    assert guesses[4:] == [429] * 6
    assert attempt(victim.email, DEFAULT_PASSWORD) == 429
    assert answer == signed_in


def test_spelling_the_account_differently_counts_against_the_same_account(limits, app):
    victim = UserFactory(username="alice", email="alice@example.com")
    spellings = ["alice", "ALICE", "Alice", "alice@example.com", "ALICE@EXAMPLE.COM"]

    answers = [token_grant(app, name, f"guess-{n}") for n, name in enumerate(spellings)]

    assert answers == [400, 400, 400, 400, 429]
    assert web_login(victim.username, DEFAULT_PASSWORD) == 429


def test_guessing_one_account_from_many_addresses_stops_at_the_account_limit(limits, app):
    victim = UserFactory()

    answers = [
        token_grant(app, victim.email, f"guess-{n}", address=f"192.0.2.{n}") for n in range(8)
    ]

    assert answers == [400] * 7 + [429]
    assert token_grant(app, victim.email, DEFAULT_PASSWORD, address="192.0.2.200") == 429


def test_one_address_trying_many_accounts_stops_at_the_address_ceiling(limits, app):
    accounts = [UserFactory() for _ in range(4)]
    bystander = UserFactory()

    answers = [
        token_grant(app, account.email, f"guess-{n}") for account in accounts for n in range(3)
    ]

    assert answers == [400] * 11 + [429]
    assert token_grant(app, bystander.email, DEFAULT_PASSWORD) == 429
    assert token_grant(app, bystander.email, DEFAULT_PASSWORD, address="192.0.2.1") == 200


def test_signing_in_to_ones_own_account_does_not_reset_the_count_on_another(limits, app):
    victim, attacker = UserFactory(), UserFactory()

    first = [token_grant(app, victim.email, f"guess-{n}") for n in range(4)]
    own = web_login(attacker.email, DEFAULT_PASSWORD)
    last = token_grant(app, victim.email, "guess-4")

    assert first == [400] * 4
    assert own == 302
    assert last == 429


def test_signing_in_correctly_resets_ones_own_count_at_that_address(limits, app):
    user = UserFactory()

    typos = [token_grant(app, user.email, f"typo-{n}") for n in range(4)]
    signed_in = web_login(user.email, DEFAULT_PASSWORD)
    later = [token_grant(app, user.email, f"typo-again-{n}") for n in range(4)]

    assert typos == [400] * 4
    assert signed_in == 302
    assert later == [400] * 4
