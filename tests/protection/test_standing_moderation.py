"""The standing page against moderation's decisions, and each surface against the page.

Moderation limits an account the way a moderator does (Mastodon's admin API, a case in
the queue, the strike policy); the page must say so the moment it is applied, and each
surface must really do what the page says. Lifted, both clear.
"""

import pytest

from apps.accounts.models import User
from apps.moderation import services
from apps.moderation.models import Report, Strike
from tests.moderation.conftest import pipeline, pipeline_flags, rules_only  # noqa: F401
from tests.protection.conftest import standing_of, states_of, surfaces_of

pytestmark = pytest.mark.django_db

EVERYWHERE_VISIBLE = {
    "home": "visible",
    "public": "visible",
    "search": "visible",
    "trends": "visible",
    "recommendations": "visible",
    "live_directory": "visible",
}
LIMITED_STATES = EVERYWHERE_VISIBLE | {
    "public": "limited",
    "search": "limited",
    "trends": "limited",
    "recommendations": "limited",
    "live_directory": "limited",
}


class Surfaces:
    """What ``viewer`` (who does not follow alice) and ``follower`` see of alice's status."""

    def __init__(self, *, author, follower, viewer, status: dict):
        self.author, self.follower, self.viewer, self.status = author, follower, viewer, status

    def _ids(self, response) -> list[str]:
        assert response.status_code == 200, response.json()
        return [entry["id"] for entry in response.json()]

    def home(self) -> bool:
        return self.status["id"] in self._ids(self.follower.client.get("/api/v1/timelines/home"))

    def public(self) -> bool:
        return self.status["id"] in self._ids(self.viewer.client.get("/api/v1/timelines/public"))

    def search(self) -> bool:
        response = self.viewer.client.get("/api/v2/search", {"q": "marmalade", "type": "statuses"})
        assert response.status_code == 200, response.json()
        return self.status["id"] in [entry["id"] for entry in response.json()["statuses"]]

    def trends(self) -> bool:
        response = self.viewer.client.get("/api/v1/trends/tags")
        assert response.status_code == 200, response.json()
        return "marmalade" in [tag["name"] for tag in response.json()]

    def recommendations(self) -> bool:
        response = self.viewer.client.get("/api/v2/suggestions")
        assert response.status_code == 200, response.json()
        return self.author.id in [entry["account"]["id"] for entry in response.json()]

    def states(self) -> dict[str, bool]:
        return {
            "home": self.home(),
            "public": self.public(),
            "search": self.search(),
            "trends": self.trends(),
            "recommendations": self.recommendations(),
        }


@pytest.fixture
def surfaces(alice, bob, carol):
    bob.follow(alice)
    status = alice.post("Breakfast: toast and #marmalade")
    return Surfaces(author=alice, follower=bob, viewer=carol, status=status)


def test_silenced_through_the_admin_api_the_page_and_the_surfaces_agree(
    alice, admin_api, surfaces, committed
):
    assert states_of(standing_of(alice)) == EVERYWHERE_VISIBLE
    assert surfaces.states() == dict.fromkeys(
        ("home", "public", "search", "trends", "recommendations"), True
    )

    with committed():
        response = admin_api.post(
            f"/api/v1/admin/accounts/{alice.id}/action",
            {"type": "silence", "text": "Spamming replies."},
            format="json",
        )
    assert response.status_code == 200, response.json()

    page = standing_of(alice)
    strike = Strike.objects.get(account=alice.account)
    account = User.objects.get(pk=alice.account.pk)
    assert page["standing"] == "limited"
    expected_reason = {
        "rule": "moderator_decision",
        "reason": "Spamming replies.",
        "source": "human",
        "decision": {"kind": "strike", "id": str(strike.pk), "case_id": None},
        "since": account.standing_changed_at.isoformat().replace("+00:00", "Z"),
        "until": None,
        "appeal": page["reason"]["appeal"],
    }
    assert page["reason"] == expected_reason
    assert page["reason"]["appeal"]["available"] is False
    assert states_of(page) == LIMITED_STATES
    for name in ("public", "search", "trends", "recommendations"):
        assert surfaces_of(page)[name]["reasons"] == [expected_reason]
    # The surfaces hide what the page says they hide, and only that.
    assert surfaces.states() == {
        "home": True,
        "public": False,
        "search": False,
        "trends": False,
        "recommendations": False,
    }
    [warning] = page["warnings"]
    assert (warning["id"], warning["action"], warning["active"]) == (
        str(strike.pk),
        "silence",
        True,
    )

    with committed():
        lifted = admin_api.post(f"/api/v1/admin/accounts/{alice.id}/unsilence")
    assert lifted.status_code == 200, lifted.json()

    page = standing_of(alice)
    assert (page["standing"], page["reason"]) == ("none", None)
    assert states_of(page) == EVERYWHERE_VISIBLE
    assert surfaces.states() == dict.fromkeys(
        ("home", "public", "search", "trends", "recommendations"), True
    )
    # The strike stays listed: it is history, not a limit.
    assert [warning["id"] for warning in page["warnings"]] == [str(strike.pk)]


def test_limited_by_a_moderator_deciding_a_report_names_the_case(
    alice, bob, moderator, surfaces, committed
):
    response = bob.client.post(
        "/api/v1/reports",
        {"account_id": alice.id, "status_ids": [surfaces.status["id"]], "category": "spam"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    report = Report.objects.get(pk=response.json()["id"])

    with committed():
        services.case_act(
            case=report.case, moderator=moderator, action="limit", reason="Selling followers."
        )

    page = standing_of(alice)
    assert page["standing"] == "limited"
    assert page["reason"]["rule"] == "moderator_decision"
    assert page["reason"]["reason"] == "Selling followers."
    assert page["reason"]["decision"]["case_id"] == str(report.case_id)
    assert states_of(page) == LIMITED_STATES
    assert (surfaces.public(), surfaces.search(), surfaces.home()) == (False, False, True)
    [warning] = page["warnings"]
    assert warning["reason"]["decision"]["case_id"] == str(report.case_id)


def test_suspended_the_account_still_reads_why_and_is_hidden_everywhere(
    alice, admin_api, surfaces, committed
):
    with committed():
        response = admin_api.post(
            f"/api/v1/admin/accounts/{alice.id}/action",
            {"type": "suspend", "text": "Threats."},
            format="json",
        )
    assert response.status_code == 200, response.json()

    page = standing_of(alice)

    assert page["standing"] == "suspended"
    assert page["reason"]["reason"] == "Threats."
    assert page["reason"]["source"] == "human"
    assert states_of(page) == dict.fromkeys(EVERYWHERE_VISIBLE, "hidden")
    assert all(surface["reasons"] == [page["reason"]] for surface in page["surfaces"]), page[
        "surfaces"
    ]
    assert surfaces.states() == dict.fromkeys(
        ("home", "public", "search", "trends", "recommendations"), False
    )
    # Only the page: every other read with its token is refused.
    refused = alice.client.get("/api/v1/accounts/verify_credentials")
    assert refused.status_code == 403

    with committed():
        admin_api.post(f"/api/v1/admin/accounts/{alice.id}/unsuspend")

    assert states_of(standing_of(alice)) == EVERYWHERE_VISIBLE
    assert surfaces.public() is True


def test_the_strike_policy_limits_automatically_and_says_so(
    alice, admin_api, settings, surfaces, committed
):
    settings.MODERATION_STRIKE_POLICY = ["2:30:limited"]
    for text in ("First warning.", "Second warning."):
        with committed():
            response = admin_api.post(
                f"/api/v1/admin/accounts/{alice.id}/action",
                {"type": "none", "text": text},
                format="json",
            )
        assert response.status_code == 200, response.json()

    page = standing_of(alice)

    assert page["standing"] == "limited"
    assert page["reason"]["rule"] == "strike_policy"
    assert page["reason"]["source"] == "automated"
    assert page["reason"]["reason"] == "2 strikes within 30 days"
    assert page["reason"]["decision"]["kind"] == "strike_policy"
    assert states_of(page) == LIMITED_STATES
    assert surfaces.public() is False
    assert [warning["text"] for warning in page["warnings"]] == [
        "Second warning.",
        "First warning.",
    ]
    assert {warning["reason"]["source"] for warning in page["warnings"]} == {"human"}


def test_a_warning_is_listed_with_its_reason_and_limits_nothing(alice, admin_api):
    response = admin_api.post(
        f"/api/v1/admin/accounts/{alice.id}/action",
        {"type": "none", "text": "Mind the rules."},
        format="json",
    )
    assert response.status_code == 200, response.json()

    page = standing_of(alice)

    strike = Strike.objects.get(account=alice.account)
    [warning] = page["warnings"]
    assert warning["action"] == "none"
    assert warning["text"] == "Mind the rules."
    assert warning["active"] is True
    assert warning["expires_at"] == strike.expires_at.isoformat().replace("+00:00", "Z")
    assert warning["reason"]["rule"] == "strike"
    assert warning["reason"]["decision"] == {
        "kind": "strike",
        "id": str(strike.pk),
        "case_id": None,
    }
    assert warning["reason"]["until"] == warning["expires_at"]
    assert page["standing"] == "none"
    assert states_of(page) == EVERYWHERE_VISIBLE


def test_the_query_count_does_not_grow_with_strikes(
    alice, admin_api, committed, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def strike_and_count() -> int:
        with committed():
            admin_api.post(
                f"/api/v1/admin/accounts/{alice.id}/action", {"type": "silence"}, format="json"
            )
        with CaptureQueriesContext(connection) as queries:
            standing_of(alice)
        return len(queries.captured_queries)

    one = strike_and_count()
    strike_and_count()
    three = strike_and_count()

    assert three == one
    with django_assert_max_num_queries(10):
        assert len(standing_of(alice)["warnings"]) == 3


def report(reporter, author, status: dict) -> Report:
    response = reporter.client.post(
        "/api/v1/reports",
        {"account_id": author.id, "status_ids": [status["id"]], "category": "spam"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return Report.objects.get(pk=response.json()["id"])


def test_a_status_a_moderator_hid_is_listed_with_its_case(alice, bob, carol, moderator, committed):
    status = alice.post("Something against the rules")
    filed = report(bob, alice, status)

    with committed():
        services.case_act(case=filed.case, moderator=moderator, action="hide", reason="Harassment.")

    page = standing_of(alice)
    [item] = page["content"]
    assert (item["content_type"], item["content_id"], item["state"]) == (
        "status",
        status["id"],
        "hidden",
    )
    assert item["reason"]["rule"] == "moderator_decision"
    assert item["reason"]["reason"] == "Harassment."
    assert item["reason"]["source"] == "human"
    assert item["reason"]["decision"]["case_id"] == str(filed.case_id)
    # The content, not the account: its reach is untouched.
    assert page["standing"] == "none"
    assert states_of(page) == EVERYWHERE_VISIBLE
    # ... and the status is hidden from others, as the page says.
    assert carol.client.get(f"/api/v1/statuses/{status['id']}").status_code == 404
    assert alice.client.get(f"/api/v1/statuses/{status['id']}").status_code == 200

    with committed():
        services.case_reopen(case=filed.case, moderator=moderator)
        services.case_act(case=filed.case, moderator=moderator, action="approve")

    assert standing_of(alice)["content"] == []
    assert carol.client.get(f"/api/v1/statuses/{status['id']}").status_code == 200


def test_a_status_hidden_automatically_until_reviewed_says_automation_did_it(
    alice,
    carol,
    pipeline,  # noqa: F811 (the fixture)
    rules_only,  # noqa: F811 (the fixture)
):
    with pipeline():
        status = alice.post("my card is 4111 1111 1111 1111 exp 09/28 cvv 123")

    [item] = standing_of(alice)["content"]

    assert (item["content_id"], item["state"]) == (status["id"], "hidden")
    assert item["reason"]["rule"] == "hidden_until_reviewed"
    assert item["reason"]["source"] == "automated"
    assert item["reason"]["reason"].startswith("Hidden until reviewed")
    assert item["reason"]["decision"]["case_id"] is not None
    assert carol.client.get(f"/api/v1/statuses/{status['id']}").status_code == 404
