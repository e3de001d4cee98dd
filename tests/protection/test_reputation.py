"""Reputation: the trust score's components, its history and events, the provider."""

import datetime as dt

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from apps.protection.models import Reputation, ReputationHistory, ReputationSignal
from apps.protection.services import reputation as service
from core import events
from core import reputation as port
from core.reputation import Level
from tests.accounts.factories import UserFactory
from tests.feed.factories import FollowFactory

pytestmark = pytest.mark.django_db


def changes_counted(level: str) -> float:
    return REGISTRY.get_sample_value("reputation_changes_total", {"level": level}) or 0.0


def signal(account, kind, outcome, ref_id, **fields):
    return ReputationSignal.objects.create(
        account=account, kind=kind, outcome=outcome, ref_id=ref_id, **fields
    )


def block(blocker, target):
    from apps.feed.models import Block

    return Block.objects.create(account=blocker, target=target)


@pytest.fixture
def received(db):
    got = []
    events.subscribe(events.ReputationChanged, got.append)
    yield got
    events.unsubscribe(events.ReputationChanged, got.append)


def test_an_old_account_with_upheld_reports_and_established_followers_is_established(aged):
    # given a year-old account whose two reports were upheld, followed by 20, five of
    # them established themselves
    veteran = aged(365)
    for n in range(2):
        signal(veteran, "report", "upheld", ref_id=n)
    followers = [aged(200) for _ in range(20)]
    for follower in followers:
        FollowFactory(account=follower, target=veteran)
    for follower in followers[:5]:
        Reputation.objects.create(account=follower, score=0.9, level="established")

    # when it is recomputed
    changes = service.reputations_recompute(account_ids=[veteran.pk], reason="test")

    # then each component is stored with the score
    row = Reputation.objects.get(account=veteran)
    assert row.components["inputs"] == {
        "age_days": pytest.approx(365, abs=0.01),
        "followers": 20,
        "established_followers": 5,
        "blocks": 0,
        "strikes": 0,
        "reports_upheld": 2,
        "reports_rejected": 0,
    }
    parts = row.components["parts"]
    assert parts["age"] == 0.3
    assert parts["established_followers"] == 0.15
    assert parts["reports"] == pytest.approx(0.05)
    assert parts["strikes"] == 0
    assert parts["blocks"] == 0
    assert parts["followers"] == 0.099  # 0.15 * ln(21) / ln(101)
    assert row.score == 0.9
    assert row.level == Level.ESTABLISHED
    assert changes == [service.Change(veteran.pk, 0.6, Level.NORMAL, 0.9, Level.ESTABLISHED)]
    assert port.trust_of(veteran.pk) == port.Trust(score=0.9, level=Level.ESTABLISHED)


def test_a_new_account_with_blocks_and_strikes_scores_zero_and_is_new(aged):
    # given a day-old account with two strikes, blocked by three accounts past their new days
    newcomer = aged(1)
    signal(newcomer, "strike", "strike", ref_id=1)
    signal(newcomer, "strike", "strike", ref_id=2)
    for _ in range(3):
        block(aged(30), newcomer)

    service.reputations_recompute(account_ids=[newcomer.pk], reason="test")

    row = Reputation.objects.get(account=newcomer)
    assert row.components["parts"]["strikes"] == -0.3
    assert row.components["parts"]["blocks"] == pytest.approx(-0.18)
    assert row.score == 0.0
    assert row.level == Level.NEW
    assert port.trust_of(newcomer.pk).is_new_or_low


def test_blocks_from_new_accounts_do_not_count(aged):
    # given an account blocked only by sock puppets a day old
    target = aged(60)
    for _ in range(3):
        block(aged(1), target)

    service.reputations_recompute(account_ids=[target.pk], reason="test")

    # then nothing but its age speaks: it keeps no row
    assert not Reputation.objects.filter(account=target).exists()


def test_strikes_older_than_the_window_weigh_nothing(aged, settings):
    settings.PROTECTION_STRIKE_DAYS = 90
    account = aged(400)
    signal(
        account, "strike", "strike", ref_id=1, occurred_at=timezone.now() - dt.timedelta(days=91)
    )
    signal(account, "strike", "strike", ref_id=2, occurred_at=timezone.now() - dt.timedelta(days=5))

    service.reputations_recompute(account_ids=[account.pk], reason="test")

    assert Reputation.objects.get(account=account).components["inputs"]["strikes"] == 1


@pytest.mark.parametrize(
    ("score", "age_days", "level"),
    [
        pytest.param(0.95, 6.9, Level.NEW, id="young-whatever-the-score"),
        pytest.param(0.29, 8, Level.LOW, id="under-the-low-threshold"),
        pytest.param(0.3, 8, Level.NORMAL, id="at-the-low-threshold"),
        pytest.param(0.7, 29, Level.NORMAL, id="high-but-too-young-to-be-established"),
        pytest.param(0.7, 30, Level.ESTABLISHED, id="high-and-old-enough"),
    ],
)
def test_levels(score, age_days, level):
    assert service.level_for(score=score, age_days=age_days) == level


def test_a_change_writes_history_publishes_and_counts_once(aged, received, eager):
    account = aged(100)
    signal(account, "strike", "strike", ref_id=1)
    before = changes_counted(Level.NORMAL)

    with eager():
        first = service.reputations_recompute(account_ids=[account.pk], reason="strike")
    with eager():
        second = service.reputations_recompute(account_ids=[account.pk], reason="sweep")

    # then the first run changed the score (0.6 from age alone, 0.45 with the strike),
    # the second, on the same facts, changed nothing
    assert len(first) == 1
    assert second == []
    history = list(ReputationHistory.objects.filter(account=account).values(
        "previous", "previous_level", "score", "level", "reason"
    ))  # fmt: skip
    assert history == [
        {"previous": 0.6, "previous_level": "normal", "score": 0.45, "level": "normal",
         "reason": "strike"},
    ]  # fmt: skip
    assert received == [
        events.ReputationChanged(
            account_id=account.pk, score=0.45, previous=0.6, level="normal", reason="strike"
        )
    ]
    assert changes_counted(Level.NORMAL) == before + 1


def test_an_account_nothing_but_its_age_speaks_of_gets_no_row(aged, received):
    account = aged(3)

    assert service.reputations_recompute(account_ids=[account.pk], reason="sweep") == []

    assert not Reputation.objects.exists()
    assert port.trust_of(account.pk) == port.Trust(score=0.31, level=Level.NEW)  # 0.3 + 0.3 * 3/90


def test_the_provider_answers_for_many_accounts_in_one_query(aged, django_assert_num_queries):
    with_rows = [aged(100 + n) for n in range(5)]
    for account in with_rows:
        Reputation.objects.create(account=account, score=0.8, level="established")
    without = [aged(n) for n in range(10)]

    with django_assert_num_queries(1):
        answers = port.trust_many([a.pk for a in with_rows + without] + [999_999])

    assert {answers[a.pk].level for a in with_rows} == {Level.ESTABLISHED}
    assert answers[without[0].pk] == port.Trust(score=0.3, level=Level.NEW)
    assert answers[without[6].pk].level == Level.NEW
    assert answers[without[9].pk] == port.Trust(score=0.33, level=Level.NORMAL)
    assert answers[999_999] == port.NEUTRAL


def test_the_level_follows_the_age_before_the_sweep_writes_it(aged):
    # a stored "new" row of an account that has since passed its new days
    account = aged(8)
    Reputation.objects.create(account=account, score=0.2, level="new")

    assert port.trust_of(account.pk).level == Level.LOW


def test_recompute_query_count_is_flat(aged, django_assert_max_num_queries):
    accounts = [aged(50 + n) for n in range(30)]
    for n, account in enumerate(accounts):
        signal(account, "strike", "strike", ref_id=n)
        FollowFactory(account=accounts[n - 1], target=account)

    # savepoint, lock, 4 inputs, bulk create, history, 30 outbox rows (one per change)
    with django_assert_max_num_queries(40):
        changes = service.reputations_recompute(account_ids=[a.pk for a in accounts], reason="t")

    assert len(changes) == 30


def test_the_sweep_reports_progress_and_ages_levels(aged, settings):
    accounts = [aged(6.9) for _ in range(3)]
    for n, account in enumerate(accounts):
        signal(account, "strike", "strike", ref_id=n)
    service.reputations_sweep()
    assert set(Reputation.objects.values_list("level", flat=True)) == {"new"}
    seen = []

    # a day later
    settings.PROTECTION_NEW_ACCOUNT_DAYS = 6
    changed = service.reputations_sweep(batch_size=2, progress=lambda d, t: seen.append((d, t)))

    assert changed == 3
    assert set(Reputation.objects.values_list("level", flat=True)) == {"low"}
    assert seen == [(2, 3), (3, 3)]


def test_strikes_and_report_outcomes_reach_the_ledger_through_moderation(eager):
    from apps.moderation.services.cases import case_act
    from tests.moderation.factories import ReportFactory
    from tests.security.staff import staff_member

    moderator = staff_member("moderator", username="mod")
    upheld = ReportFactory()
    rejected = ReportFactory()

    with eager():
        case_act(case=upheld.case, moderator=moderator, action="warn")
    with eager():
        case_act(case=rejected.case, moderator=moderator, action="approve")

    ledger = set(ReputationSignal.objects.values_list("account_id", "kind", "outcome"))
    assert ledger == {
        (upheld.reporter_id, "report", "upheld"),
        (rejected.reporter_id, "report", "rejected"),
        (upheld.target_account_id, "strike", "strike"),
    }
    # the recompute ran: the warned author lost 0.15, the rejected reporter 0.03
    assert (
        Reputation.objects.get(account_id=upheld.target_account_id).components["inputs"]["strikes"]
        == 1
    )
    assert (
        Reputation.objects.get(account_id=rejected.reporter_id).components["inputs"][
            "reports_rejected"
        ]
        == 1
    )


def test_a_redelivered_event_changes_nothing(eager):
    account = UserFactory()
    event = events.AccountWarned(account_id=account.pk, warning_id=7, action="none")
    from apps.protection import reputation as wiring

    with eager():
        wiring.on_account_warned(event)
        wiring.on_account_warned(event)

    assert ReputationSignal.objects.filter(account=account).count() == 1


def test_an_event_about_a_deleted_account_writes_nothing():
    from apps.protection import reputation as wiring

    wiring.on_report_resolved(events.ReportResolved(report_id=1, reporter_id=999_999, upheld=True))

    assert not ReputationSignal.objects.exists()


def test_a_report_decided_again_changes_its_outcome_in_the_ledger(eager):
    from apps.protection import reputation as wiring

    reporter = UserFactory()
    with eager():
        wiring.on_report_resolved(
            events.ReportResolved(report_id=5, reporter_id=reporter.pk, upheld=True)
        )
    with eager():
        wiring.on_report_resolved(
            events.ReportResolved(report_id=5, reporter_id=reporter.pk, upheld=False)
        )

    assert list(ReputationSignal.objects.values_list("ref_id", "outcome")) == [(5, "rejected")]
    row = Reputation.objects.get(account=reporter)
    assert (
        row.components["inputs"]["reports_upheld"],
        row.components["inputs"]["reports_rejected"],
    ) == (0, 1)


def test_the_sweep_is_scheduled_hourly_and_schedulable():
    from django_celery_beat.models import PeriodicTask

    from core.schedules import schedulable_tasks

    task = PeriodicTask.objects.get(task="protection.reputation_sweep")
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 1, "hours")
    assert "protection.reputation_sweep" in schedulable_tasks()


def test_the_sweep_task_runs_the_sweep(aged):
    from apps.protection.tasks import reputation_refresh_task, reputation_sweep_task

    account = aged(100)
    signal(account, "strike", "strike", ref_id=1)

    assert reputation_sweep_task() == 1
    assert reputation_sweep_task() == 0
    assert reputation_refresh_task(account_id=account.pk, reason="again") == 0
    assert Reputation.objects.get(account=account).score == 0.45


def test_a_clash_on_the_first_row_is_recomputed_again(aged, monkeypatch):
    # given an account whose first row another run creates between our lock and our write
    account = aged(100)
    signal(account, "strike", "strike", ref_id=1)
    real_inputs = service.reputation_inputs
    raced = []

    def inputs_then_race(ids, *, now):
        found = real_inputs(ids, now=now)
        if not raced:
            raced.append(True)
            Reputation.objects.create(account=account, score=0.6, level="normal")
        return found

    monkeypatch.setattr(service, "reputation_inputs", inputs_then_race)

    # when
    changes = service.reputations_recompute(account_ids=[account.pk], reason="strike")

    # then the clash did not fail the run: it was done again, and changed the score once
    # (on one connection the racing row rolls back with the first attempt)
    assert [(c.previous, c.score) for c in changes] == [(0.6, 0.45)]
    assert Reputation.objects.get(account=account).score == 0.45
    assert ReputationHistory.objects.filter(account=account).count() == 1
