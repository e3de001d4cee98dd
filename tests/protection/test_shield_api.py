"""The shield through its API, the back office, and moderation's pile-on case."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Standing
from apps.feed.models import Mute, ScheduledStatus
from apps.moderation.models import Case, Strike
from apps.protection.models import Shield
from core.models import AuditEntry
from tests.api_client import APIClient
from tests.feed.conftest import Member
from tests.protection.test_pile_on import INSULTS, reply_all, strangers

SHIELD = "/api/agora/v1/protection/shield"

pytestmark = pytest.mark.django_db


def test_a_fresh_account_has_its_shield_down(alice):
    answer = alice.client.get(SHIELD)

    assert answer.status_code == 200
    body = answer.json()
    assert body["active"] is False
    assert body["source"] is None
    assert body["recap"] is None
    assert (body["min_days"], body["max_days"]) == (1, 30)
    assert "Raise it" in body["explanation"]


def test_the_account_raises_and_lowers_its_own_shield(alice, django_capture_on_commit_callbacks):
    # given a scheduled post
    alice.client.post(
        "/api/v1/statuses",
        {"status": "later", "scheduled_at": (timezone.now() + dt.timedelta(hours=1)).isoformat()},
        format="json",
    )

    # when it raises its shield for three days
    with django_capture_on_commit_callbacks(execute=True):
        raised = alice.client.put(SHIELD, {"active": True, "days": 3}, format="json")

    # then it is up for three days, and the scheduled post is held
    assert raised.status_code == 200, raised.json()
    body = raised.json()
    assert body["active"] is True
    assert body["source"] == "account"
    until = dt.datetime.fromisoformat(body["until"].replace("Z", "+00:00"))
    started = dt.datetime.fromisoformat(body["started_at"].replace("Z", "+00:00"))
    assert until - started == dt.timedelta(days=3)
    assert ScheduledStatus.objects.get().held

    # when it lowers it
    with django_capture_on_commit_callbacks(execute=True):
        lowered = alice.client.put(SHIELD, {"active": False}, format="json")

    # then it is down with its recap, and the post is released
    assert lowered.status_code == 200
    body = lowered.json()
    assert body["active"] is False
    assert body["recap"] == {"muted": 0, "filtered": 0}
    assert Shield.objects.get().end_reason == "account"
    assert not ScheduledStatus.objects.get().held
    # lowering again changes nothing
    assert alice.client.put(SHIELD, {"active": False}, format="json").status_code == 200
    assert Shield.objects.count() == 1


def test_raising_without_days_takes_the_default(alice):
    body = alice.client.put(SHIELD, {"active": True}, format="json").json()
    until = dt.datetime.fromisoformat(body["until"].replace("Z", "+00:00"))
    started = dt.datetime.fromisoformat(body["started_at"].replace("Z", "+00:00"))
    assert until - started == dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"active": True, "days": 0}, "days"),
        ({"active": True, "days": 31}, "days"),
        ({"active": True, "days": -2}, "days"),
        ({"active": True, "days": "three"}, "days"),
        ({"active": True, "days": 2.5}, "days"),
        ({"active": True, "days": True}, "days"),
        ({"active": False, "days": 3}, "days"),
        ({"active": "yes"}, "active"),
        ({}, "active"),
        ([{"active": True}], "active"),
        ("true", "active"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(alice, sent, field):
    answer = alice.client.put(SHIELD, sent, format="json")

    assert answer.status_code == 422, answer.json()
    assert field in answer.json()["error"]
    assert not Shield.objects.exists()


def test_anonymous_callers_are_refused():
    assert APIClient().get(SHIELD).status_code == 401
    assert APIClient().put(SHIELD, {"active": True}, format="json").status_code == 401


def test_a_read_only_token_cannot_raise_the_shield(alice):
    from tests.accounts.factories import AccessTokenFactory

    client = APIClient()
    token = AccessTokenFactory(user=alice.account, scope="read").token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert client.get(SHIELD).status_code == 200
    assert client.put(SHIELD, {"active": True}, format="json").status_code == 403


def test_a_mute_the_account_made_itself_is_kept_when_the_shield_comes_down(
    alice, bob, django_capture_on_commit_callbacks
):
    from apps.protection.services import shields

    alice.client.post(f"/api/v1/accounts/{bob.id}/mute")
    shield, _raised = shields.shield_raise(
        account_id=alice.account.pk,
        source="pile_on",
        until=timezone.now() + dt.timedelta(days=7),
        senders={bob.account.pk: ([], 0.9)},
    )
    assert not shield.senders.get().muted

    shields.shield_lower(shield=shield, reason="account")

    mute = Mute.objects.get(account=alice.account, target=bob.account)
    assert mute.expires_at is None


# Moderation's case and the back office ------------------------------------------------


@pytest.fixture
def piled_on(db, pipeline):
    victim = Member("victim")
    post = victim.post("Here is my opinion")
    mob = strangers(12, "troll")
    with pipeline():
        reply_all(mob, post, INSULTS, victim)
    return victim, mob, Case.objects.get(content_type="pile_on")


def test_suspending_on_a_pile_on_case_suspends_the_strangers_never_the_account(
    piled_on, moderator, moderator_admin, django_capture_on_commit_callbacks
):
    victim, mob, case = piled_on
    page = moderator_admin.get(reverse("admin:moderation_case_change", args=[case.pk]))
    assert page.status_code == 200
    assert "A pile-on: 12 hostile strangers" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        moderator_admin.post(
            reverse("admin:moderation_case_act", args=[case.pk]),
            {"action": "suspend", "reason": "Coordinated harassment"},
        )

    case.refresh_from_db()
    assert case.state == "resolved"
    for member in mob:
        member.account.refresh_from_db()
        assert member.account.standing == Standing.SUSPENDED
    victim.account.refresh_from_db()
    assert victim.account.standing == Standing.NONE
    assert set(Strike.objects.values_list("account_id", flat=True)) == {m.account.pk for m in mob}
    strike = Strike.objects.get(account=mob[0].account)
    assert strike.status_ids == [s.pk for s in mob[0].account.statuses.all()]


def test_staff_lower_a_shield_with_a_reason(piled_on, moderator, moderator_admin):
    victim, mob, _case = piled_on
    shield = Shield.objects.get()
    changelist = reverse("admin:protection_shield_changelist")
    listed = moderator_admin.get(changelist, {"state": "up"})
    assert listed.status_code == 200
    assert str(shield.pk) in listed.content.decode()
    detail = moderator_admin.get(reverse("admin:protection_shield_change", args=[shield.pk]))
    assert "troll0" in detail.content.decode() or str(mob[0].account.pk) in detail.content.decode()

    asked = moderator_admin.post(changelist, {"action": "lower", "_selected_action": [shield.pk]})
    assert asked.status_code == 200
    assert "reason" in asked.content.decode()
    moderator_admin.post(
        changelist,
        {
            "action": "lower",
            "_selected_action": [shield.pk],
            "apply": "1",
            "reason": "The account asked support",
        },
    )

    shield.refresh_from_db()
    assert not shield.is_active
    assert shield.end_reason == "staff"
    entry = AuditEntry.objects.get(action="shield_lowered")
    assert (entry.actor_id, entry.target_id, entry.note) == (
        moderator.pk,
        victim.account.pk,
        "The account asked support",
    )
    assert not Mute.objects.filter(account=victim.account).exists()
