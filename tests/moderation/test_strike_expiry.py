"""Strike expiry lifts only what the strike policy set, from state of its own, not the audit trail."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts import services as account_services
from apps.accounts.models import StandingSource
from apps.moderation import services, strikes
from apps.moderation.models import PolicyRestriction, Strike

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited_by_policy(alice, django_capture_on_commit_callbacks):
    """Alice's three strikes met the policy (3 in 90 days: limited); they have all expired."""
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            strikes.strike_create(account=alice.account, action="none", text=f"#{n}")
    assert strikes.current_restriction(alice.account.pk) == "limited"
    Strike.objects.filter(account=alice.account).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    return alice.account


def test_the_policy_records_the_restriction_it_set(limited_by_policy):
    assert list(PolicyRestriction.objects.values_list("account_id", "restriction")) == [
        (limited_by_policy.pk, "limited")
    ]


def test_expiry_lifts_the_policys_restriction_and_forgets_it(
    limited_by_policy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert strikes.strikes_expire() == 3

    assert strikes.current_restriction(limited_by_policy.pk) == "none"
    assert not PolicyRestriction.objects.exists()


def test_expiry_decides_without_reading_the_audit_trail(
    limited_by_policy, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        CaptureQueriesContext(connection) as queries,
    ):
        strikes.strikes_expire()

    reads = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert not [sql for sql in reads if "core_auditentry" in sql]
    assert strikes.current_restriction(limited_by_policy.pk) == "none"


@pytest.mark.parametrize(
    ("type", "standing"),
    [
        pytest.param("suspend", "suspended", id="suspended-by-a-moderator"),
        pytest.param("silence", "limited", id="limited-again-by-a-moderator"),
    ],
)
def test_a_moderators_decision_after_the_policys_is_not_lifted(
    limited_by_policy, moderator, type, standing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.account_action(moderator=moderator, account=limited_by_policy, type=type)
    Strike.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        strikes.strikes_expire()

    assert strikes.current_restriction(limited_by_policy.pk) == standing
    assert not PolicyRestriction.objects.exists()


def test_a_standing_someone_else_set_after_the_policys_is_not_lifted(
    limited_by_policy, django_capture_on_commit_callbacks
):
    account_services.account_standing_set(
        account_id=limited_by_policy.pk,
        standing="suspended",
        reason="operator's decision",
        source=StandingSource.OPERATOR,
    )

    with django_capture_on_commit_callbacks(execute=True):
        strikes.strikes_expire()

    assert strikes.current_restriction(limited_by_policy.pk) == "suspended"
