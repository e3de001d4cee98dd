"""Mastodon's admin API: /api/v1/admin/reports and /api/v1/admin/accounts/:id/action."""

import pytest

from apps.moderation.models import Case, Report, Strike
from core.models import AuditEntry
from tests.accounts.factories import AccessTokenFactory
from tests.api_client import APIClient
from tests.security.staff import staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(alice, bob):
    post = alice.post("buy followers")
    response = bob.client.post(
        "/api/v1/reports",
        {"account_id": alice.id, "status_ids": [post["id"]], "category": "spam", "comment": "!"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return Report.objects.get(pk=response.json()["id"]), post


def test_moderators_list_open_reports_as_admin_report_entities(
    filed, admin_api, django_assert_max_num_queries
):
    report, post = filed

    with django_assert_max_num_queries(40):
        response = admin_api.get("/api/v1/admin/reports")

    assert response.status_code == 200, response.json()
    [entity] = response.json()
    assert entity["id"] == str(report.pk)
    assert entity["action_taken"] is False
    assert entity["account"]["username"] == "bob"
    assert entity["account"]["email"] == "bob@example.com"
    assert entity["target_account"]["account"]["id"] == str(report.target_account_id)
    assert [s["id"] for s in entity["statuses"]] == [post["id"]]
    assert entity["assigned_account"] is None
    # Reading reporters' and authors' personal data is audited.
    assert AuditEntry.objects.filter(action="personal_data_viewed", target_id=report.pk).exists()
    resolved = admin_api.get("/api/v1/admin/reports", {"resolved": "true"})
    assert resolved.json() == []


def test_the_list_query_count_does_not_grow_with_reports(
    alice, bob, carol, dave, admin_api, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def report_and_count(member) -> int:
        post = alice.post(f"post for {member.account.username}")
        member.client.post(
            "/api/v1/reports",
            {"account_id": alice.id, "status_ids": [post["id"]], "category": "spam"},
            format="json",
        )
        with CaptureQueriesContext(connection) as queries:
            assert admin_api.get("/api/v1/admin/reports").status_code == 200
        return len(queries.captured_queries)

    one = report_and_count(bob)
    report_and_count(carol)
    three = report_and_count(dave)

    assert three == one
    with django_assert_max_num_queries(12):
        response = admin_api.get("/api/v1/admin/reports")
    assert len(response.json()) == 3


def test_assign_unassign_resolve_and_reopen(filed, admin_api, moderator):
    report, _post = filed
    base = f"/api/v1/admin/reports/{report.pk}"

    assigned = admin_api.post(f"{base}/assign_to_self")
    assert assigned.status_code == 200, assigned.json()
    assert assigned.json()["assigned_account"]["id"] == str(moderator.pk)

    unassigned = admin_api.post(f"{base}/unassign")
    assert unassigned.json()["assigned_account"] is None

    resolved = admin_api.post(f"{base}/resolve")
    assert resolved.json()["action_taken"] is True
    assert Case.objects.get().state == "resolved"

    reopened = admin_api.post(f"{base}/reopen")
    assert reopened.json()["action_taken"] is False
    assert Case.objects.get().state == "open"
    actions = list(AuditEntry.objects.values_list("action", flat=True).order_by("id"))
    for action in ("case_claimed", "case_unclaimed", "case_approve", "case_reopened"):
        assert action in actions


def test_another_moderators_claim_is_a_409(filed, admin_api):
    report, _post = filed
    other = staff_member("moderator", username="othermod")
    client = APIClient()
    token = AccessTokenFactory(user=other, scope="admin:read admin:write").token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    admin_api.post(f"/api/v1/admin/reports/{report.pk}/assign_to_self")

    response = client.post(f"/api/v1/admin/reports/{report.pk}/assign_to_self")

    assert response.status_code == 409
    assert "mod is reviewing this case" in response.json()["error"]


def test_account_action_with_a_report_removes_nothing_but_limits_and_strikes(
    filed, admin_api, alice, django_capture_on_commit_callbacks
):
    report, _post = filed

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            f"/api/v1/admin/accounts/{alice.id}/action",
            {"type": "silence", "report_id": str(report.pk), "text": "Spamming."},
            format="json",
        )

    assert response.status_code == 200, response.json()
    report.refresh_from_db()
    assert report.outcome == "upheld"
    assert report.case.resolution == "limit"
    strike = Strike.objects.get(account=alice.account)
    assert (strike.action, strike.text) == ("silence", "Spamming.")
    from apps.accounts.models import Standing, User

    assert User.objects.get(pk=alice.account.pk).standing == Standing.LIMITED


def test_account_action_without_a_report_suspends(
    admin_api, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            f"/api/v1/admin/accounts/{alice.id}/action", {"type": "suspend"}, format="json"
        )
    assert response.status_code == 200
    assert Strike.objects.get(account=alice.account).action == "suspend"
    assert AuditEntry.objects.filter(action="account_suspend", target_id=alice.account.pk).exists()


@pytest.mark.parametrize(
    ("path", "data", "status_code", "message"),
    [
        pytest.param("/api/v1/admin/accounts/999/action", {"type": "none"}, 404, "Record not found", id="unknown-account"),
        pytest.param("/api/v1/admin/accounts/{alice}/action", {"type": "explode"}, 422, "type must be one of", id="unknown-type"),
        pytest.param("/api/v1/admin/accounts/{alice}/action", {"type": "none", "report_id": "77"}, 404, "Record not found", id="unknown-report"),
        pytest.param("/api/v1/admin/reports/77/resolve", {}, 404, "Record not found", id="unknown-report-resolve"),
        pytest.param("/api/v1/admin/reports/99999999999999999999999/resolve", {}, 404, "Record not found", id="huge-report-id"),
        pytest.param("/api/v1/admin/accounts/99999999999999999999999/action", {}, 404, "Record not found", id="huge-account-id"),
        pytest.param("/api/v1/admin/accounts/{alice}/action", {"type": "none", "report_id": "x"}, 404, "Record not found", id="bad-report-id"),
    ],
)  # fmt: skip
def test_bad_admin_input_is_a_clear_4xx(admin_api, alice, path, data, status_code, message):
    response = admin_api.post(path.format(alice=alice.id), data, format="json")
    assert response.status_code == status_code
    assert message in response.json()["error"]
    assert not Strike.objects.exists()


@pytest.mark.parametrize("role", ["reviewer", "finance", "operator", None])
def test_only_moderators_may_use_the_admin_api(filed, role):
    report, _post = filed
    user = staff_member(role, username=f"staff_{role}")
    client = APIClient()
    token = AccessTokenFactory(user=user, scope="admin:read admin:write").token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert client.get("/api/v1/admin/reports").status_code == 403
    assert client.post(f"/api/v1/admin/reports/{report.pk}/resolve").status_code == 403
    assert Case.objects.get().state == "open"


def test_a_moderator_token_without_admin_scopes_is_refused(filed, moderator):
    report, _post = filed
    client = APIClient()
    token = AccessTokenFactory(user=moderator, scope="read write").token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/admin/reports").status_code == 403
    read_only = APIClient()
    token = AccessTokenFactory(user=moderator, scope="admin:read:reports").token
    read_only.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert read_only.get("/api/v1/admin/reports").status_code == 200
    assert read_only.post(f"/api/v1/admin/reports/{report.pk}/resolve").status_code == 403
    assert Case.objects.get().state == "open"


def test_an_account_action_whose_json_body_is_not_an_object_is_refused_with_422(admin_api, alice):
    response = admin_api.post(f"/api/v1/admin/accounts/{alice.id}/action", [], format="json")

    assert response.status_code == 422
    assert not Strike.objects.exists()


@pytest.mark.parametrize(
    ("restriction", "lift"),
    [("suspend", "unsuspend"), ("silence", "unsilence"), ("disable", "enable")],
    ids=["unsuspend", "unsilence", "enable"],
)
def test_mastodons_lift_endpoints_restore_the_account(
    admin_api, alice, bob, restriction, lift, django_capture_on_commit_callbacks
):
    from apps.accounts.models import Standing, User

    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(
            f"/api/v1/admin/accounts/{alice.id}/action", {"type": restriction}, format="json"
        )
    assert User.objects.get(pk=alice.account.pk).standing != Standing.NONE

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"/api/v1/admin/accounts/{alice.id}/{lift}")

    assert response.status_code == 200, response.json()
    assert User.objects.get(pk=alice.account.pk).standing == Standing.NONE
    assert alice.client.get("/api/v1/accounts/verify_credentials").status_code == 200
    assert AuditEntry.objects.filter(action=f"account_{lift}", target_id=alice.account.pk).exists()


@pytest.mark.parametrize("lift", ["unsuspend", "unsilence", "enable"])
def test_lifting_a_standing_the_account_is_not_in_is_403_and_changes_nothing(
    admin_api, alice, lift, django_capture_on_commit_callbacks
):
    from apps.accounts.models import Standing, User

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"/api/v1/admin/accounts/{alice.id}/{lift}")

    assert response.status_code == 403
    assert response.json() == {"error": "This action is not allowed"}
    assert User.objects.get(pk=alice.account.pk).standing == Standing.NONE
    assert not AuditEntry.objects.filter(action=f"account_{lift}").exists()


def test_lifting_needs_a_moderator(alice, bob):
    response = bob.client.post(f"/api/v1/admin/accounts/{alice.id}/unsuspend")

    assert response.status_code == 403
