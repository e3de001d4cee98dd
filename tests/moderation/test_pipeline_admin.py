"""The pipeline's back office: policies edited and validated, the known-hash list, assessments read-only."""

import pytest

from apps.moderation.models import Assessment, KnownMediaHash, Policy
from core.models import AuditEntry
from tests.security.staff import staff_member, verified_client

POLICY_URL = "/admin/moderation/policy/"
HASH_URL = "/admin/moderation/knownmediahash/"
ASSESSMENT_URL = "/admin/moderation/assessment/"


def policy_form(policy: Policy, **changes) -> dict:
    data = {
        "is_enabled": "on" if policy.is_enabled else "",
        "queue_threshold": policy.queue_threshold,
        "hide_threshold": policy.hide_threshold,
        "remove_threshold": policy.remove_threshold,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


@pytest.fixture
def offensive_policy(db) -> Policy:
    return Policy.objects.get(category="offensive")


@pytest.fixture
def assessment(db) -> Assessment:
    return Assessment.objects.create(
        content_type="status",
        content_id=42,
        author_id=7,
        trigger="published",
        scores={"offensive": {"score": 0.97, "confidence": 0.9, "assessor": "profanity"}},
        model_versions={"profanity": "alt-profanity-check 1.9.1"},
        evidence={"text": "the words as they were", "author": {"id": 7, "username": "alice"}},
        decision="hide",
        category="offensive",
        top_score=0.97,
    )


def test_a_moderator_edits_a_policys_thresholds(moderator, moderator_admin, offensive_policy):
    response = moderator_admin.post(
        f"{POLICY_URL}{offensive_policy.pk}/change/",
        policy_form(offensive_policy, queue_threshold="0.4", hide_threshold="0.7"),
    )

    assert response.status_code == 302
    offensive_policy.refresh_from_db()
    assert (offensive_policy.queue_threshold, offensive_policy.hide_threshold) == (0.4, 0.7)
    assert offensive_policy.updated_by == moderator
    record = AuditEntry.objects.get(action="policy_changed")
    assert record.actor_id == moderator.pk
    assert record.before["queue_threshold"] == 0.5
    assert record.after["queue_threshold"] == 0.4


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"queue_threshold": "0.9", "hide_threshold": "0.7"}, "Thresholds must not decrease"),
        ({"queue_threshold": "-0.1"}, "A threshold is a score from 0 to 1"),
        ({"hide_threshold": "lots"}, "Enter a number"),
    ],
    ids=["decreasing", "negative", "not-a-number"],
)
def test_invalid_thresholds_are_refused_and_nothing_changes(
    moderator_admin, offensive_policy, changes, message
):
    response = moderator_admin.post(
        f"{POLICY_URL}{offensive_policy.pk}/change/", policy_form(offensive_policy, **changes)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    offensive_policy.refresh_from_db()
    assert (offensive_policy.queue_threshold, offensive_policy.hide_threshold) == (0.5, 0.85)
    assert not AuditEntry.objects.filter(action="policy_changed").exists()


def test_thresholds_are_editable_in_the_list(moderator_admin, offensive_policy):
    policies = list(Policy.objects.order_by("category"))
    data = {
        "form-TOTAL_FORMS": str(len(policies)),
        "form-INITIAL_FORMS": str(len(policies)),
        "_save": "Save",
    }
    for n, policy in enumerate(policies):
        data[f"form-{n}-id"] = str(policy.pk)
        for key, value in policy_form(policy).items():
            data[f"form-{n}-{key}"] = value
        if policy.category == "offensive":
            data[f"form-{n}-hide_threshold"] = "0.75"

    response = moderator_admin.post(POLICY_URL, data)

    assert response.status_code == 302
    offensive_policy.refresh_from_db()
    assert offensive_policy.hide_threshold == 0.75


def test_the_policy_list_shows_every_category(moderator_admin):
    response = moderator_admin.get(POLICY_URL)
    assert response.status_code == 200
    for category in ("offensive", "spam", "scam", "pii", "link", "media_match"):
        assert f">{Policy.objects.get(category=category)}<" in response.content.decode()


def test_policies_are_neither_added_nor_deleted(moderator_admin, offensive_policy, superuser_admin):
    for client in (moderator_admin, superuser_admin):
        assert client.get(f"{POLICY_URL}add/").status_code == 403
        assert (
            client.post(f"{POLICY_URL}{offensive_policy.pk}/delete/", {"post": "yes"}).status_code
            == 403
        )
    assert Policy.objects.count() == 6


@pytest.mark.parametrize("role", ["reviewer", "finance", "operator"])
def test_other_roles_cannot_touch_policies_or_hashes(db, role, offensive_policy):
    client = verified_client(staff_member(role))
    assert client.get(POLICY_URL).status_code == 403
    assert (
        client.post(
            f"{POLICY_URL}{offensive_policy.pk}/change/",
            policy_form(offensive_policy, hide_threshold="0.6"),
        ).status_code
        == 403
    )
    assert client.get(HASH_URL).status_code == 403
    assert client.get(ASSESSMENT_URL).status_code == 403
    offensive_policy.refresh_from_db()
    assert offensive_policy.hide_threshold == 0.85


@pytest.fixture
def superuser_admin(db):
    return verified_client(staff_member(None, is_superuser=True, username="root"))


def test_a_moderator_adds_a_known_media_hash(moderator, moderator_admin):
    response = moderator_admin.post(
        f"{HASH_URL}add/",
        {
            "label": "known bad video",
            "hash": "c3a5e1f0b2d49687",
            "max_distance": "6",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    known = KnownMediaHash.objects.get()
    assert (known.hash, known.max_distance, known.added_by) == ("c3a5e1f0b2d49687", 6, moderator)
    record = AuditEntry.objects.get(action="known_media_hash_added")
    assert record.after["hash"] == "c3a5e1f0b2d49687"


def test_a_hash_that_is_not_hex_is_refused(moderator_admin):
    response = moderator_admin.post(
        f"{HASH_URL}add/", {"label": "bad", "hash": "not-a-hash", "max_distance": "6"}
    )
    assert response.status_code == 200
    assert "A perceptual hash is hexadecimal." in response.content.decode()
    assert not KnownMediaHash.objects.exists()


def test_a_moderator_deletes_a_known_media_hash(moderator_admin):
    known = KnownMediaHash.objects.create(hash="00ff00ff00ff00ff", label="mistake")
    response = moderator_admin.post(f"{HASH_URL}{known.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not KnownMediaHash.objects.exists()
    assert AuditEntry.objects.get(action="known_media_hash_deleted").before["hash"] == known.hash


def test_deleting_known_media_hashes_in_bulk_audits_each(moderator, moderator_admin):
    kept = KnownMediaHash.objects.create(hash="0f0f0f0f0f0f0f0f", label="keep")
    gone = [KnownMediaHash.objects.create(hash=f"{n:016x}", label=f"mistake {n}") for n in (1, 2)]

    response = moderator_admin.post(
        HASH_URL,
        {"action": "delete_selected", "_selected_action": [k.pk for k in gone], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(KnownMediaHash.objects.all()) == [kept]
    records = AuditEntry.objects.filter(action="known_media_hash_deleted").order_by("target_id")
    assert [(r.target_id, r.before["hash"], r.actor_id) for r in records] == [
        (k.pk, k.hash, moderator.pk) for k in gone
    ]


def test_changing_a_policy_in_the_list_is_audited(moderator, moderator_admin, offensive_policy):
    policies = list(Policy.objects.order_by("category"))
    form = {
        "form-TOTAL_FORMS": len(policies),
        "form-INITIAL_FORMS": len(policies),
        "_save": "Save",
    }
    for n, policy in enumerate(policies):
        form[f"form-{n}-id"] = policy.pk
        for name, value in policy_form(policy).items():
            form[f"form-{n}-{name}"] = value
    row = policies.index(offensive_policy)
    form[f"form-{row}-hide_threshold"] = "0.75"

    response = moderator_admin.post(POLICY_URL, form)

    assert response.status_code == 302
    offensive_policy.refresh_from_db()
    assert offensive_policy.hide_threshold == 0.75
    record = AuditEntry.objects.get(action="policy_changed")
    assert (record.before["hide_threshold"], record.after["hide_threshold"]) == (0.85, 0.75)
    assert record.actor_id == moderator.pk


def test_an_assessment_is_shown_and_its_viewing_audited(moderator, moderator_admin, assessment):
    response = moderator_admin.get(f"{ASSESSMENT_URL}{assessment.pk}/change/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "the words as they were" in body
    assert "alt-profanity-check 1.9.1" in body
    record = AuditEntry.objects.get(action="personal_data_viewed")
    assert (record.actor_id, record.target_type, record.target_id) == (
        moderator.pk,
        "assessment",
        assessment.pk,
    )


def test_the_assessment_list_filters_by_decision(moderator_admin, assessment):
    response = moderator_admin.get(ASSESSMENT_URL, {"decision": "hide", "category": "offensive"})
    assert response.status_code == 200
    assert f"{ASSESSMENT_URL}{assessment.pk}/change/" in response.content.decode()
    response = moderator_admin.get(ASSESSMENT_URL, {"decision": "allow"})
    assert f"{ASSESSMENT_URL}{assessment.pk}/change/" not in response.content.decode()


def test_nobody_changes_or_deletes_an_assessment(moderator_admin, superuser_admin, assessment):
    for client in (moderator_admin, superuser_admin):
        client.post(
            f"{ASSESSMENT_URL}{assessment.pk}/change/", {"decision": "allow", "evidence": "{}"}
        )
        assert (
            client.post(f"{ASSESSMENT_URL}{assessment.pk}/delete/", {"post": "yes"}).status_code
            == 403
        )
        assert client.get(f"{ASSESSMENT_URL}add/").status_code == 403
    assessment.refresh_from_db()
    assert assessment.decision == "hide"
    assert assessment.evidence["text"] == "the words as they were"
