"""The audit trail in core: typed events, append-only at every level, role changes audited."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from core import audit
from core.models import AuditAction, AuditEntry
from core.roles import role_grant, role_revoke
from tests.accounts.factories import UserFactory
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator():
    return UserFactory(username="mod")


@pytest.fixture
def entry(moderator):
    return audit.case_decided(
        actor=moderator, case_id=1, decision="remove", before={"state": "open"}, after={}
    )


# Typed events ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "bulk", "action"),
    [
        pytest.param("remove", False, AuditAction.CASE_REMOVE, id="alone"),
        pytest.param("warn", True, AuditAction.CASE_WARN_BULK, id="in-bulk"),
    ],
)
def test_a_case_decision_is_recorded_with_its_action(moderator, decision, bulk, action):
    entry = audit.case_decided(
        actor=moderator,
        case_id=7,
        decision=decision,
        bulk=bulk,
        before={"state": "open"},
        after={"state": "resolved"},
        note="why",
    )

    row = AuditEntry.objects.get(pk=entry.pk)
    assert (row.action, row.target_type, row.target_id) == (action, "case", 7)
    assert (row.actor_id, row.actor_name, row.note) == (moderator.pk, "mod", "why")
    assert (row.before, row.after) == ({"state": "open"}, {"state": "resolved"})


def test_an_unknown_decision_is_refused_and_nothing_is_written(moderator):
    with pytest.raises(ValueError, match="unknown case decision"):
        audit.case_decided(actor=moderator, case_id=1, decision="obliterate", before={}, after={})
    with pytest.raises(ValueError, match="unknown account decision"):
        audit.account_decided(
            actor=moderator,
            account_id=1,
            decision="obliterate",
            standing_before="none",
            standing_after="none",
        )

    assert not AuditEntry.objects.exists()


def test_an_account_decision_records_the_standing_before_and_after(moderator):
    entry = audit.account_decided(
        actor=moderator,
        account_id=5,
        decision="suspend",
        standing_before="limited",
        standing_after="suspended",
        case_id=9,
    )

    assert entry.action == AuditAction.ACCOUNT_SUSPEND
    assert (entry.before, entry.after) == (
        {"restriction": "limited"},
        {"restriction": "suspended", "case": 9},
    )


def test_the_system_and_an_operator_outside_the_web_can_act():
    by_system = audit.case_queued(case_id=1, created=True, before=None, after={})
    by_operator = audit.personal_data_viewed(
        actor="manage.py (root)", target_type="account", target_id=3, what="export"
    )

    assert (by_system.actor_id, by_system.actor_name) == (None, "")
    assert (by_operator.actor_id, by_operator.actor_name) == (None, "manage.py (root)")


def test_a_page_of_views_is_recorded_in_one_insert(moderator, django_assert_num_queries):
    with django_assert_num_queries(1):
        audit.personal_data_viewed_many(
            actor=moderator, target_type="report", views=[(1, "first"), (2, "second")]
        )

    assert list(AuditEntry.objects.order_by("id").values_list("action", "target_id", "note")) == [
        ("personal_data_viewed", 1, "first"),
        ("personal_data_viewed", 2, "second"),
    ]


# Append-only ---------------------------------------------------------------------------


def test_an_audit_entry_cannot_be_saved_again_changed_or_deleted(entry):
    entry.note = "rewritten"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).update(note="rewritten")
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.bulk_update([entry], ["note"])
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


def test_the_database_refuses_an_update_of_an_audit_entry(entry):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET note = 'x' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


def test_audit_entries_cannot_be_changed_or_deleted_in_the_admin_even_by_a_superuser(entry):
    root = verified_client(staff_member(None, is_superuser=True, username="root"))
    change = reverse("admin:core_auditentry_change", args=[entry.pk])
    delete = reverse("admin:core_auditentry_delete", args=[entry.pk])

    assert root.get(change).status_code == 200
    assert root.post(change, {"note": "edited"}).status_code == 403
    assert root.post(delete, {"post": "yes"}).status_code == 403
    assert root.post(
        reverse("admin:core_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    ).status_code in (200, 302)
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


def test_a_moderator_reads_the_trail_in_the_back_office(entry):
    moderator = verified_client(staff_member("moderator", username="reader"))

    response = moderator.get(reverse("admin:core_auditentry_changelist"))

    assert response.status_code == 200
    assert "mod" in response.content.decode()


# Role changes ----------------------------------------------------------------------------


def test_granting_and_revoking_a_role_write_audit_entries():
    alice = UserFactory(username="alice")

    role_grant(user=alice, role="moderator", actor="manage.py (root)")
    role_grant(user=alice, role="moderator", actor="manage.py (root)")  # nothing changes
    role_revoke(user=alice, role="moderator", actor="manage.py (root)")

    rows = AuditEntry.objects.order_by("id").values_list(
        "action", "actor_name", "target_type", "target_id", "before", "after"
    )
    assert list(rows) == [
        (
            "role_granted",
            "manage.py (root)",
            "user",
            alice.pk,
            {},
            {"role": "moderator", "is_staff": True},
        ),
        (
            "role_revoked",
            "manage.py (root)",
            "user",
            alice.pk,
            {"role": "moderator"},
            {"is_staff": False},
        ),
    ]
