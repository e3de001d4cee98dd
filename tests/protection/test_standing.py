"""GET /api/agora/v1/account/standing: who may read it, and what a fresh account sees."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.models import Standing
from apps.accounts.services import account_standing_set
from core import reputation, standing
from tests.accounts.factories import AccessTokenFactory, ApplicationFactory
from tests.api_client import APIClient
from tests.protection.conftest import STANDING_URL, standing_of, states_of, surfaces_of

pytestmark = pytest.mark.django_db

ALL_VISIBLE = dict.fromkeys(standing.SURFACES, "visible")


def test_a_fresh_account_is_visible_everywhere_with_only_its_new_days_to_explain(alice):
    page = standing_of(alice)

    assert page["standing"] == "none"
    assert page["reason"] is None
    assert [surface["surface"] for surface in page["surfaces"]] == list(standing.SURFACES)
    assert states_of(page) == ALL_VISIBLE
    assert all(surface["reasons"] == [] for surface in page["surfaces"])
    # protection's reputation rates a day-old account new: its rate limits are tighter
    assert page["rate_limits"]["state"] == "tighter"
    assert page["rate_limits"]["level"] == "new"
    assert page["rate_limits"]["reason"]["rule"] == "reputation"
    assert page["warnings"] == []
    assert page["content"] == []


def test_an_older_account_has_standard_rate_limits(alice):
    from datetime import timedelta

    from django.utils import timezone

    alice.account.date_joined = timezone.now() - timedelta(days=60)
    alice.account.save(update_fields=["date_joined"])

    page = standing_of(alice)

    assert page["rate_limits"] == {"state": "standard", "level": "normal", "reason": None}


def test_anonymous_is_refused_with_401(db):
    response = APIClient().get(STANDING_URL)

    assert response.status_code == 401
    assert "error" in response.json()


def test_an_apps_own_token_is_refused_with_422(db):
    client = APIClient()
    token = AccessTokenFactory(user=None, application=ApplicationFactory(), scope="read")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")

    response = client.get(STANDING_URL)

    assert response.status_code == 422
    assert response.json()["error"] == "This method requires an authenticated user"


@pytest.mark.parametrize(
    ("scope", "status_code"),
    [
        pytest.param("read", 200, id="read"),
        pytest.param("read:accounts", 200, id="read-accounts"),
        pytest.param("read:statuses", 403, id="another-read-scope"),
        pytest.param("write", 403, id="write-only"),
    ],
)
def test_the_page_needs_read_accounts(alice, scope, status_code):
    client = APIClient()
    token = AccessTokenFactory(user=alice.account, scope=scope).token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.get(STANDING_URL)

    assert response.status_code == status_code
    if status_code == 403:
        assert response.json()["error"] == "This action is outside the authorized scopes"


def test_a_deactivated_account_cannot_read_it(alice):
    alice.account.is_active = False
    alice.account.save(update_fields=["is_active"])

    response = alice.client.get(STANDING_URL)

    assert response.status_code == 403
    assert response.json()["error"] == "Your login is currently disabled"


def test_an_account_that_is_not_discoverable_is_told_it_is_its_own_setting(alice):
    alice.client.patch(
        "/api/v1/accounts/update_credentials", {"discoverable": False}, format="json"
    )

    page = standing_of(alice)

    assert page["standing"] == "none"
    assert states_of(page) == ALL_VISIBLE | {"trends": "limited", "recommendations": "limited"}
    [reason] = surfaces_of(page)["trends"]["reasons"]
    assert reason["rule"] == "not_discoverable"
    assert reason["source"] == "account"
    assert reason["appeal"]["available"] is False
    # ... and the surfaces agree: it is not suggested to others.
    suggestions = APIClient()
    suggestions.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(scope='read').token}")
    assert alice.id not in [
        entry["account"]["id"] for entry in suggestions.get("/api/v2/suggestions").json()
    ]


@pytest.mark.parametrize("level", [reputation.Level.NEW, reputation.Level.LOW])
def test_a_new_or_low_reputation_account_is_told_its_rate_limits_are_tighter(
    alice, trust_levels, level
):
    trust_levels[alice.account.pk] = level

    page = standing_of(alice)

    rate_limits = page["rate_limits"]
    assert (rate_limits["state"], rate_limits["level"]) == ("tighter", level)
    assert rate_limits["reason"]["rule"] == "reputation"
    assert rate_limits["reason"]["source"] == "automated"
    assert "rate limits" in rate_limits["reason"]["reason"]
    # Reputation limits the rate, not the reach.
    assert states_of(page) == ALL_VISIBLE


@pytest.mark.parametrize("level", [reputation.Level.NORMAL, reputation.Level.ESTABLISHED])
def test_normal_and_established_accounts_have_standard_rate_limits(alice, trust_levels, level):
    trust_levels[alice.account.pk] = level

    assert standing_of(alice)["rate_limits"] == {
        "state": "standard",
        "level": level,
        "reason": None,
    }


def test_an_operator_set_standing_is_explained_from_the_account_and_lapses(alice):
    """A standing moderation did not take (an operator's, with an end) is shown as recorded."""
    account_standing_set(
        account_id=alice.account.pk,
        standing=Standing.LIMITED,
        reason="Ban evasion.",
        source="operator",
        until="2999-01-01T00:00:00+00:00",
    )

    page = standing_of(alice)

    assert page["standing"] == "limited"
    assert page["reason"]["rule"] == "account_standing"
    assert page["reason"]["reason"] == "Ban evasion."
    assert page["reason"]["source"] == "human"
    assert page["reason"]["until"] == "2999-01-01T00:00:00Z"
    assert page["reason"]["appeal"] == {
        "available": False,
        "reason": standing.NO_APPEALS.reason,
        "url": None,
    }
    assert states_of(page)["public"] == "limited"


def test_the_query_count_is_small_and_flat(alice, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        standing_of(alice)


def test_a_standing_that_lapsed_limits_nothing_on_the_page_nor_on_the_surfaces(alice, carol):
    status = alice.post("Hello, world")
    account_standing_set(
        account_id=alice.account.pk,
        standing=Standing.LIMITED,
        reason="Cooling off.",
        source="operator",
        until="2999-01-01T00:00:00+00:00",
    )
    public = carol.client.get("/api/v1/timelines/public").json()
    assert status["id"] not in [entry["id"] for entry in public]
    assert states_of(standing_of(alice))["public"] == "limited"

    User = type(alice.account)
    User.objects.filter(pk=alice.account.pk).update(
        standing_until=timezone.now() - dt.timedelta(seconds=1)
    )

    page = standing_of(alice)
    assert (page["standing"], page["reason"]) == ("none", None)
    assert states_of(page) == ALL_VISIBLE
    public = carol.client.get("/api/v1/timelines/public").json()
    assert status["id"] in [entry["id"] for entry in public]


def test_an_installed_appeal_provider_says_where_to_appeal(alice):
    """The appeals app, once there, fills ``core.standing``'s appeal port."""
    account_standing_set(account_id=alice.account.pk, standing=Standing.LIMITED, reason="Spam.")
    alice.client.patch(
        "/api/v1/accounts/update_credentials", {"discoverable": False}, format="json"
    )

    def appeal(decision: standing.Decision) -> standing.Appeal:
        return standing.Appeal(
            available=True, url=f"https://agora.test/appeals/new?{decision.rule}"
        )

    previous = standing._appeals
    standing.set_appeal_provider(appeal)
    try:
        page = standing_of(alice)
    finally:
        standing.set_appeal_provider(previous)

    assert page["reason"]["appeal"] == {
        "available": True,
        "reason": "",
        "url": f"https://agora.test/appeals/new?{page['reason']['rule']}",
    }
    # One's own setting is not a decision to appeal.
    own = [
        reason
        for reason in surfaces_of(page)["trends"]["reasons"]
        if reason["rule"] == "not_discoverable"
    ]
    assert [reason["appeal"]["available"] for reason in own] == [False]
