"""Reputation's back office and its command: read-only pages, the audited recompute."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from apps.protection.models import Reputation, ReputationHistory, ReputationSignal
from apps.protection.services import reputation as service
from core.models import AuditEntry
from tests.accounts.factories import UserFactory
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:protection_reputation_changelist"


@pytest.fixture
def struck(db):
    """A 100-day-old account with a strike, scored once (0.6 -> 0.45)."""
    account = UserFactory(username="struck", date_joined=timezone.now() - dt.timedelta(days=100))
    ReputationSignal.objects.create(account=account, kind="strike", outcome="strike", ref_id=1)
    service.reputations_recompute(account_ids=[account.pk], reason="strike")
    return account


def test_a_moderator_reads_an_accounts_score_components_and_history(struck):
    client = verified_client(staff_member("moderator"))

    listed = client.get(reverse(CHANGELIST))
    page = client.get(reverse("admin:protection_reputation_change", args=[struck.pk]))

    assert listed.status_code == 200
    assert "struck" in listed.content.decode()
    assert page.status_code == 200
    html = page.content.decode()
    assert "<td>strikes</td><td>-0.15</td>" in html
    assert "<td>0.6 (normal)</td><td>0.45 (normal)</td><td>strike</td>" in html
    # read-only: no save button, and a post changes nothing
    assert 'name="_save"' not in html
    client.post(
        reverse("admin:protection_reputation_change", args=[struck.pk]),
        {"score": "1", "level": "established"},
    )
    assert Reputation.objects.get(account=struck).score == 0.45


@pytest.mark.parametrize(
    "name",
    ["protection_reputationhistory_changelist", "protection_reputationsignal_changelist"],
)
def test_a_moderator_reads_the_history_and_the_ledger(struck, name):
    client = verified_client(staff_member("moderator"))

    assert client.get(reverse(f"admin:{name}")).status_code == 200


def test_the_recompute_action_is_audited(struck):
    moderator = staff_member("moderator")
    client = verified_client(moderator)
    ReputationSignal.objects.create(account=struck, kind="strike", outcome="strike", ref_id=2)

    done = client.post(
        reverse(CHANGELIST), {"action": "recompute", "_selected_action": [struck.pk]}
    )

    assert done.status_code == 302
    assert Reputation.objects.get(account=struck).score == 0.3
    entry = AuditEntry.objects.get(action="reputation_recomputed")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        moderator.pk,
        "account",
        struck.pk,
    )
    assert entry.before == {"score": 0.45, "level": "normal"}
    assert entry.after == {"score": 0.3, "level": "normal"}
    assert ReputationHistory.objects.filter(account=struck, reason="admin").count() == 1


@pytest.mark.parametrize("role", ["reviewer", "finance", None])
def test_other_staff_may_not_see_reputation(struck, role):
    client = verified_client(staff_member(role))

    assert client.get(reverse(CHANGELIST)).status_code == 403


def test_the_command_recomputes_one_account_audited(struck):
    ReputationSignal.objects.create(account=struck, kind="strike", outcome="strike", ref_id=2)
    out = StringIO()

    call_command("protection_reputation", "--account", "struck", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "struck: 0.30 (normal)"
    assert '"strikes": 2' in lines[1]
    entry = AuditEntry.objects.get(action="reputation_recomputed")
    assert entry.actor_name.startswith("manage.py (")


def test_the_command_on_an_account_known_by_its_age_alone_writes_nothing():
    UserFactory(username="quiet", date_joined=timezone.now() - dt.timedelta(days=30))
    out = StringIO()

    call_command("protection_reputation", "--account", "quiet", stdout=out)

    assert out.getvalue() == "quiet: 0.40 (normal), from its age alone\n"
    assert not Reputation.objects.exists()


def test_the_command_sweeps_every_account_with_progress(struck, settings):
    for n in range(2):
        account = UserFactory(date_joined=timezone.now() - dt.timedelta(days=3))
        ReputationSignal.objects.create(
            account=account, kind="strike", outcome="strike", ref_id=10 + n
        )
    out = StringIO()

    call_command("protection_reputation", "--all", "--batch-size", "2", stdout=out)

    assert out.getvalue().splitlines() == ["2/3 accounts", "3/3 accounts", "2 scores changed."]
    assert not AuditEntry.objects.filter(action="reputation_recomputed").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param([], "one of the arguments --account --all is required", id="no-target"),
        pytest.param(["--account", "nobody"], "No account with the username", id="unknown"),
        pytest.param(["--all", "--batch-size", "0"], "--batch-size must be at least 1", id="batch"),
        pytest.param(["--all", "--account", "x"], "not allowed with argument", id="both"),
    ],
)
def test_the_command_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("protection_reputation", *args)

    assert not Reputation.objects.exists()


def test_the_changelist_costs_the_same_queries_for_many_accounts():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = verified_client(staff_member("moderator"))

    def listed(count: int) -> int:
        for _ in range(count):
            Reputation.objects.create(account=UserFactory(), score=0.5, level="normal")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(CHANGELIST)).status_code == 200
        return len(queries)

    assert listed(2) == listed(20)
