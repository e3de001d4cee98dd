"""Community reports (POST /api/v1/reports) and the server rules (GET /api/v1/instance/rules)."""

import pytest

from apps.moderation.models import Case, Report
from core import events
from core.models import AuditEntry
from tests.moderation.factories import RuleFactory

pytestmark = pytest.mark.django_db


def report(member, **data):
    return member.client.post("/api/v1/reports", data, format="json")


def nothing_written():
    return not Report.objects.exists() and not Case.objects.exists()


def test_a_report_is_answered_with_mastodons_report_entity(alice, bob):
    post = alice.post("buy cheap followers now")

    response = report(
        bob, account_id=alice.id, status_ids=[post["id"]], comment="spam", category="spam"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {
        "id", "action_taken", "action_taken_at", "category", "comment", "forwarded",
        "created_at", "status_ids", "rule_ids", "target_account",
    }  # fmt: skip
    assert body["action_taken"] is False
    assert body["action_taken_at"] is None
    assert body["category"] == "spam"
    assert body["comment"] == "spam"
    assert body["status_ids"] == [post["id"]]
    assert body["rule_ids"] is None
    assert body["target_account"]["id"] == alice.id
    case = Case.objects.get()
    assert (case.content_type, case.content_id, case.source) == (
        "status",
        int(post["id"]),
        "report",
    )
    assert case.report_count == 1
    assert AuditEntry.objects.filter(action="report_filed", target_id=case.pk).count() == 1


def test_form_encoded_reports_take_mastodons_list_parameters(alice, bob):
    rule = RuleFactory()
    post = alice.post("rude")

    response = bob.client.post(
        "/api/v1/reports",
        {
            "account_id": alice.id,
            "status_ids[]": [post["id"]],
            "rule_ids[]": [str(rule.pk)],
            "category": "violation",
        },
    )

    assert response.status_code == 200, response.json()
    assert response.json()["rule_ids"] == [str(rule.pk)]
    assert response.json()["status_ids"] == [post["id"]]


def test_reports_about_the_same_status_join_one_case_and_raise_its_priority(alice, bob, carol):
    post = alice.post("scam link")
    report(bob, account_id=alice.id, status_ids=[post["id"]], category="spam")
    case = Case.objects.get()
    first_priority = case.priority

    report(carol, account_id=alice.id, status_ids=[post["id"]], category="other")

    case.refresh_from_db()
    assert Case.objects.count() == 1
    assert case.report_count == 2
    assert case.reports.count() == 2
    assert case.priority > first_priority


def test_a_report_joins_the_automated_case_about_the_status(alice, bob):
    from apps.moderation import services

    post = alice.post("offensive words")
    automated = services.queue_for_review(
        content_type="status",
        content_id=int(post["id"]),
        author_id=alice.account.pk,
        category="offensive",
        score=0.8,
    )

    report(bob, account_id=alice.id, status_ids=[post["id"]], category="other")

    automated.refresh_from_db()
    assert automated.report_count == 1
    assert automated.from_automated
    assert Case.objects.count() == 1


def test_a_report_without_statuses_is_about_the_account(alice, bob, carol):
    report(bob, account_id=alice.id, category="spam")
    report(carol, account_id=alice.id, category="spam")

    case = Case.objects.get()
    assert (case.content_type, case.content_id, case.report_count) == (
        "account",
        alice.account.pk,
        2,
    )


def test_a_trusted_reporter_weighs_more(alice, bob, carol, dave):
    from tests.moderation.factories import ReportFactory

    for _ in range(4):
        ReportFactory(reporter=bob.account, outcome=Report.Outcome.UPHELD)
    for _ in range(4):
        ReportFactory(reporter=carol.account, outcome=Report.Outcome.REJECTED)
    trusted_post, doubted_post = alice.post("one"), alice.post("two")

    report(bob, account_id=alice.id, status_ids=[trusted_post["id"]], category="spam")
    report(carol, account_id=alice.id, status_ids=[doubted_post["id"]], category="spam")

    trusted = Case.objects.get(content_id=int(trusted_post["id"]))
    doubted = Case.objects.get(content_id=int(doubted_post["id"]))
    assert trusted.priority > doubted.priority


def test_a_report_publishes_report_filed(alice, bob, django_capture_on_commit_callbacks):
    seen = []
    events.subscribe(events.ReportFiled, seen.append)
    try:
        post = alice.post("x")
        with django_capture_on_commit_callbacks(execute=True):
            response = report(bob, account_id=alice.id, status_ids=[post["id"]], category="spam")
    finally:
        events.unsubscribe(events.ReportFiled, seen.append)
    [event] = seen
    assert event.report_id == int(response.json()["id"])
    assert event.reporter_id == bob.account.pk
    assert event.target_account_id == alice.account.pk
    assert event.content_ids == (int(post["id"]),)


def test_a_report_counts_in_the_metric(alice, bob, django_capture_on_commit_callbacks):
    from apps.moderation.metrics import content_reports_total

    before = content_reports_total.labels(category="legal")._value.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert report(bob, account_id=alice.id, category="legal").status_code == 200
    assert content_reports_total.labels(category="legal")._value.get() == before + 1


@pytest.mark.parametrize(
    ("data", "status_code", "message"),
    [
        pytest.param({"status_ids": ["999999"]}, 422, "unknown status 999999", id="unknown-status"),
        pytest.param({"status_ids": ["carol"]}, 422, "carol is not an id", id="bad-status-id"),
        pytest.param({"category": None}, 422, "category is missing", id="missing-category"),
        pytest.param({"category": "boring"}, 422, "category must be one of", id="unknown-category"),
        pytest.param(
            {"category": "violation", "rule_ids": ["424242"]},
            422,
            "unknown rule",
            id="unknown-rule",
        ),
        pytest.param(
            {"category": "violation"}, 422, "names the rules broken", id="violation-no-rules"
        ),
        pytest.param({"account_id": "123"}, 404, "Record not found", id="unknown-account"),
        pytest.param({"account_id": None}, 422, "account_id", id="missing-account"),
        pytest.param({"account_id": "9" * 30}, 404, "Record not found", id="huge-account-id"),
        pytest.param({"status_ids": ["9" * 30]}, 422, "is not an id", id="huge-status-id"),
        pytest.param({"status_ids": "123"}, 422, "status_ids", id="status-ids-not-a-list"),
        pytest.param({"comment": "x" * 1001}, 422, "comment", id="comment-too-long"),
        pytest.param({"rule_ids": ["1"]}, 422, "unknown rule 1", id="rule-with-spam"),
    ],
)
def test_bad_report_input_is_a_clear_4xx_and_writes_nothing(alice, bob, data, status_code, message):
    payload = {"account_id": alice.id, "category": "spam", **data}
    payload = {k: v for k, v in payload.items() if v is not None}

    response = report(bob, **payload)

    assert response.status_code == status_code, response.json()
    assert message in response.json()["error"]
    assert nothing_written()


def test_another_accounts_status_is_refused(alice, bob, carol):
    carols = carol.post("innocent")

    response = report(bob, account_id=alice.id, status_ids=[carols["id"]], category="spam")

    assert response.status_code == 422
    assert "is not by the reported account" in response.json()["error"]
    assert nothing_written()


def test_a_private_status_the_reporter_cannot_see_is_unknown(alice, bob):
    hidden = alice.post("followers only", visibility="private")

    response = report(bob, account_id=alice.id, status_ids=[hidden["id"]], category="spam")

    assert response.status_code == 422
    assert "unknown status" in response.json()["error"]
    assert nothing_written()


def test_reporting_yourself_is_refused(alice):
    response = report(alice, account_id=alice.id, category="spam")

    assert response.status_code == 422
    assert "cannot report yourself" in response.json()["error"]
    assert nothing_written()


def test_reporting_needs_a_token_with_write_reports(alice, bob, api_client, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(bob.account, scope='read')}")
    response = api_client.post("/api/v1/reports", {"account_id": alice.id, "category": "spam"})
    assert response.status_code == 403
    anonymous = type(api_client)().post("/api/v1/reports", {"account_id": alice.id})
    assert anonymous.status_code == 401
    assert nothing_written()


def test_reporting_is_rate_limited(alice, bob, settings):
    settings.MODERATION_REPORT_RATE = "2/h"

    codes = [report(bob, account_id=alice.id, category="spam").status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    assert Report.objects.count() == 2


def test_the_rate_limit_headers_show_the_budget_closest_to_running_out(alice, bob, settings):
    # given the reports budget (2 an hour) inside the tier's default (300 in 5 minutes)
    settings.MODERATION_REPORT_RATE = "2/h"

    response = report(bob, account_id=alice.id, category="spam")

    # then the client is told about the reports budget
    assert response.status_code == 200
    assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == ("2", "1")


def test_the_server_rules_are_public_in_order(api_client):
    second = RuleFactory(text="No spam", position=2)
    first = RuleFactory(text="Be kind", hint="No harassment", position=1)

    response = api_client.get("/api/v1/instance/rules")

    assert response.status_code == 200
    assert response.json() == [
        {"id": str(first.pk), "text": "Be kind", "hint": "No harassment"},
        {"id": str(second.pk), "text": "No spam", "hint": "No harassment."},
    ]


@pytest.mark.parametrize("body", [[], [["category", "spam"]], "spam", 7], ids=repr)
def test_a_json_body_that_is_not_an_object_is_refused_with_422(alice, body):
    response = alice.client.post("/api/v1/reports", body, format="json")

    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed")
    assert nothing_written()
