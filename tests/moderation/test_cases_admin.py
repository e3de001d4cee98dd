"""The review queue in the admin: sorting, filters, the case page, claims and actions."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.moderation import services
from apps.moderation.models import Case, Strike
from core.models import AuditEntry
from tests.moderation.factories import CaseFactory, ReportFactory
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:moderation_case_changelist")


def case_url(case, name="change"):
    return reverse(f"admin:moderation_case_{name}", args=[case.pk])


def test_the_queue_lists_open_cases_by_priority_then_age(moderator_admin):
    old_low = CaseFactory(priority=1.0)
    high = CaseFactory(priority=4.0)
    young_low = CaseFactory(priority=1.0)
    CaseFactory(priority=9.0, state="resolved")
    Case.objects.filter(pk=old_low.pk).update(created_at=timezone.now() - dt.timedelta(hours=3))

    response = moderator_admin.get(QUEUE)

    assert response.status_code == 200
    shown = [row.pk for row in response.context["cl"].result_list]
    assert shown == [high.pk, old_low.pk, young_low.pk]
    assert "Time to SLA" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"source": "automated"}, {"auto", "mine"}, id="source-automated"),
        pytest.param({"source": "report"}, {"reported"}, id="source-report"),
        pytest.param({"category": "spam"}, {"reported"}, id="category"),
        pytest.param({"state": "resolved"}, {"done"}, id="state"),
        pytest.param({"assignee": "me"}, {"mine"}, id="assignee-me"),
        pytest.param({"assignee": "none"}, {"auto", "reported"}, id="assignee-none"),
    ],
)
def test_the_queue_filters(moderator, moderator_admin, query, expected):
    cases = {
        "auto": CaseFactory(category="offensive"),
        "reported": ReportFactory(category="spam").case,
        "done": CaseFactory(state="resolved"),
        "mine": CaseFactory(assigned_to=moderator),
    }
    Case.objects.filter(pk=cases["reported"].pk).update(
        category="spam", report_count=1, from_automated=False
    )

    response = moderator_admin.get(QUEUE, query)

    assert response.status_code == 200
    shown = {row.pk for row in response.context["cl"].result_list}
    assert shown == {cases[name].pk for name in expected}


def test_the_case_page_shows_evidence_reports_history_and_audits_the_view(
    alice, bob, moderator, moderator_admin
):
    alice.post("an older post of hers")
    post = alice.post("you absolute idiot")
    bob.client.post(
        "/api/v1/reports",
        {
            "account_id": alice.id,
            "status_ids": [post["id"]],
            "category": "other",
            "comment": "rude",
        },
        format="json",
    )
    case = Case.objects.get()
    Strike.objects.create(account=alice.account, action="none", text="earlier warning")

    response = moderator_admin.get(case_url(case))

    assert response.status_code == 200
    page = response.content.decode()
    assert "you absolute idiot" in page
    assert "@bob" in page
    assert "rude" in page
    assert "earlier warning" in page
    assert "an older post of hers" in page
    assert "alice@example.com" in page
    record = AuditEntry.objects.get(action="personal_data_viewed", target_id=case.pk)
    assert record.actor_id == moderator.pk
    assert str(bob.account.pk) in record.note


def test_claim_then_remove_from_the_case_page(alice, bob, moderator, moderator_admin):
    post = alice.post("spam")
    case = services.queue_for_review(
        content_type="status",
        content_id=int(post["id"]),
        author_id=alice.account.pk,
        category="spam",
        score=0.9,
    )

    claimed = moderator_admin.post(case_url(case, "claim"))
    acted = moderator_admin.post(
        case_url(case, "act"), {"action": "remove", "note": "obvious", "reason": "Spam."}
    )

    assert claimed.status_code == 302
    assert acted.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.resolution, case.resolution_reason) == ("resolved", "remove", "Spam.")
    assert Strike.objects.get(account=alice.account).action == "delete_statuses"
    assert AuditEntry.objects.filter(action="case_remove", actor_id=moderator.pk).count() == 1


def test_an_action_needs_a_reason_for_the_user(alice, moderator_admin):
    case = CaseFactory()

    response = moderator_admin.post(case_url(case, "act"), {"action": "remove", "reason": ""})

    assert response.status_code == 200
    assert "Tell the user why" in response.content.decode()
    case.refresh_from_db()
    assert case.state == "open"


def test_a_case_another_moderator_claimed_cannot_be_acted_on(moderator_admin):
    other = staff_member("moderator", username="othermod")
    case = CaseFactory()
    services.case_claim(case=case, moderator=other)

    page = moderator_admin.get(case_url(case)).content.decode()
    moderator_admin.post(case_url(case, "claim"))
    moderator_admin.post(case_url(case, "act"), {"action": "remove", "reason": "x"})

    assert "othermod is reviewing this case" in page
    case.refresh_from_db()
    assert (case.state, case.assigned_to) == ("open", other)


def test_bulk_actions_go_through_an_intermediate_form_and_audit_each_case(
    moderator_admin, moderator
):
    cases = [CaseFactory() for _ in range(3)]
    ids = [c.pk for c in cases]

    chosen = moderator_admin.post(QUEUE, {"action": "bulk_warn", "_selected_action": ids[:2]})
    assert chosen.status_code == 302
    form_page = moderator_admin.get(chosen["Location"])
    assert form_page.status_code == 200
    assert "Reason shown to the user" in form_page.content.decode()
    done = moderator_admin.post(
        chosen["Location"],
        {
            "ids": ",".join(map(str, ids[:2])),
            "action": "warn",
            "note": "batch",
            "reason": "Be kind.",
        },
    )

    assert done.status_code == 302
    states = dict(Case.objects.values_list("pk", "state"))
    assert [states[i] for i in ids] == ["resolved", "resolved", "open"]
    bulk = AuditEntry.objects.filter(action="case_warn_bulk")
    assert sorted(bulk.values_list("target_id", flat=True)) == ids[:2]
    assert Strike.objects.count() == 2


@pytest.mark.parametrize("role", ["reviewer", "finance", "operator"])
def test_other_roles_cannot_open_or_act_on_the_queue(role):
    client = verified_client(staff_member(role, username=f"staff_{role}"))
    case = CaseFactory()

    assert client.get(QUEUE).status_code == 403
    assert client.get(case_url(case)).status_code == 403
    assert client.post(case_url(case, "claim")).status_code == 403
    assert (
        client.post(case_url(case, "act"), {"action": "remove", "reason": "x"}).status_code == 403
    )
    assert (
        client.post(
            reverse("admin:moderation_case_act_many"),
            {"ids": str(case.pk), "action": "remove", "reason": "x"},
        ).status_code
        == 403
    )
    case.refresh_from_db()
    assert case.state == "open"
    assert case.assigned_to is None


def test_the_queue_page_costs_the_same_queries_for_more_cases(moderator, moderator_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert moderator_admin.get(QUEUE).status_code == 200
        return len(queries.captured_queries)

    CaseFactory(assigned_to=moderator)
    few = count()
    for _ in range(10):
        CaseFactory(assigned_to=moderator)

    assert count() == few


def test_a_bulk_action_skips_a_case_another_moderator_holds(moderator, moderator_admin):
    other = staff_member("moderator", username="othermod")
    free, held = CaseFactory(), CaseFactory()
    services.case_claim(case=held, moderator=other)

    response = moderator_admin.post(
        reverse("admin:moderation_case_act_many"),
        {"ids": f"{free.pk},{held.pk}", "action": "hide", "reason": "Hidden."},
        follow=True,
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Case {held.pk} is claimed by othermod." in page
    states = dict(Case.objects.values_list("pk", "state"))
    assert (states[free.pk], states[held.pk]) == ("resolved", "open")
