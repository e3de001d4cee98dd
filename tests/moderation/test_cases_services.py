"""The review side's services: cases open and join, priority, claims, decisions and strikes."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.moderation import selectors, services, strikes
from apps.moderation.models import Case, Report, Strike
from apps.moderation.services import CaseClaimed, CaseClosed
from core import events
from core.models import AuditEntry
from tests.moderation.factories import StrikeFactory
from tests.security.staff import staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(django_capture_on_commit_callbacks):
    """Collect the events published while the block runs (after commit)."""
    seen = []

    def record(event):
        seen.append(event)

    kinds = (events.ContentActioned, events.AccountRestricted, events.AccountWarned)
    for kind in kinds:
        events.subscribe(kind, record)
    yield seen
    for kind in kinds:
        events.unsubscribe(kind, record)


def queue(alice_status, score=0.7, **extra):
    return services.queue_for_review(
        content_type="status",
        content_id=int(alice_status["id"]),
        author_id=int(alice_status["account"]["id"]),
        category=extra.pop("category", "offensive"),
        score=score,
        **extra,
    )


def test_queue_for_review_opens_one_case_and_joins_it_after(alice):
    post = alice.post("you are all idiots")

    first = queue(post, score=0.6)
    second = queue(post, score=0.9, category="spam", hidden=True)

    assert first.pk == second.pk
    case = Case.objects.get()
    assert case.state == "open"
    assert case.from_automated
    assert case.hidden
    assert case.score == 0.9
    assert case.category == "spam"
    assert case.sla_due_at is not None
    assert [r.action for r in AuditEntry.objects.order_by("id")] == ["case_opened", "case_joined"]


def test_priority_grows_with_score_reach_and_reporters():
    base = services.case_priority(score=0.5, reach=0, reporter_weight=0)
    assert services.case_priority(score=0.9, reach=0, reporter_weight=0) > base
    assert services.case_priority(score=0.5, reach=1000, reporter_weight=0) > base
    assert services.case_priority(score=0.5, reach=0, reporter_weight=1.5) > base


def test_a_resolved_case_leaves_room_for_a_new_one(alice, moderator):
    post = alice.post("bad words")
    case = queue(post)
    services.case_act(case=case, moderator=moderator, action="approve")

    again = queue(post)

    assert again.pk != case.pk
    assert Case.objects.filter(state="open").count() == 1


def test_a_claim_locks_the_case_for_others_until_it_expires(alice, moderator):
    other = staff_member("moderator", username="othermod")
    case = queue(alice.post("bad words"))
    services.case_claim(case=case, moderator=moderator)

    with pytest.raises(CaseClaimed):
        services.case_claim(case=case, moderator=other)
    with pytest.raises(CaseClaimed):
        services.case_act(case=case, moderator=other, action="remove")
    case.refresh_from_db()
    assert case.state == "open"
    assert case.assigned_to == moderator

    Case.objects.filter(pk=case.pk).update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    services.case_claim(case=case, moderator=other)
    case.refresh_from_db()
    assert case.assigned_to == other


def test_remove_carries_out_through_events_strikes_and_audits(
    alice, bob, moderator, published, django_capture_on_commit_callbacks
):
    post = alice.post("spam spam spam")
    case = queue(post)

    with django_capture_on_commit_callbacks(execute=True):
        services.case_act(
            case=case, moderator=moderator, action="remove", note="clear spam", reason="Spam."
        )

    actioned = [e for e in published if isinstance(e, events.ContentActioned)]
    assert [(e.content_id, e.action, e.case_id) for e in actioned] == [
        (int(post["id"]), "remove", case.pk)
    ]
    [warned] = [e for e in published if isinstance(e, events.AccountWarned)]
    assert warned.action == "delete_statuses"
    assert warned.status_ids == (int(post["id"]),)
    strike = Strike.objects.get(account=alice.account)
    assert strike.text == "Spam."
    assert strike.case_id == case.pk
    assert strike.is_active
    case.refresh_from_db()
    assert (case.state, case.resolution, case.resolved_by) == ("resolved", "remove", moderator)
    record = AuditEntry.objects.get(action="case_remove")
    assert record.actor_id == moderator.pk
    assert record.note == "clear spam"
    assert record.before["state"] == "open"
    assert record.after["state"] == "resolved"
    # The feed applied it: the status is gone for everyone.
    assert bob.client.get(f"/api/v1/statuses/{post['id']}").status_code == 404


def test_acting_on_a_resolved_case_is_refused_and_changes_nothing(alice, moderator):
    case = queue(alice.post("bad"))
    services.case_act(case=case, moderator=moderator, action="approve")
    count = AuditEntry.objects.count()

    with pytest.raises(CaseClosed):
        services.case_act(case=case, moderator=moderator, action="remove")

    assert AuditEntry.objects.count() == count
    assert not Strike.objects.exists()


@pytest.mark.parametrize(
    ("action", "event_kind", "value"),
    [
        pytest.param("hide", events.ContentActioned, "hide", id="hide"),
        pytest.param("sensitive", events.ContentActioned, "sensitive", id="sensitive"),
        pytest.param("limit", events.AccountRestricted, "limited", id="limit"),
        pytest.param("suspend", events.AccountRestricted, "suspended", id="suspend"),
    ],
)
def test_each_action_publishes_its_event(
    alice, moderator, published, django_capture_on_commit_callbacks, action, event_kind, value
):
    case = queue(alice.post("bad"))
    with django_capture_on_commit_callbacks(execute=True):
        services.case_act(case=case, moderator=moderator, action=action, reason="why")
    [event] = [e for e in published if isinstance(e, event_kind)]
    assert getattr(event, "action", None) == value or getattr(event, "restriction", None) == value


def test_approve_rejects_the_reports_and_warn_only_strikes(alice, bob, moderator, published):
    post = alice.post("fine actually")
    report = services.report_create(
        reporter=bob.account, account_id=alice.account.pk, status_ids=[post["id"]], category="spam"
    )
    services.case_act(case=report.case, moderator=moderator, action="approve")
    report.refresh_from_db()
    assert report.outcome == "rejected"
    assert report.action_taken_at is not None
    assert not Strike.objects.exists()


def test_three_strikes_in_90_days_limit_the_account(
    alice, moderator, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            strikes.strike_create(account=alice.account, action="none", text=f"#{n}")

    restricted = [e for e in published if isinstance(e, events.AccountRestricted)]
    assert [(e.account_id, e.restriction) for e in restricted] == [(alice.account.pk, "limited")]
    assert strikes.current_restriction(alice.account.pk) == "limited"
    assert AuditEntry.objects.filter(action="strike_policy_restricted").count() == 1


def test_expired_strikes_do_not_count_and_the_policy_restriction_is_lifted(
    alice, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            strikes.strike_create(account=alice.account, action="none")
    assert strikes.current_restriction(alice.account.pk) == "limited"
    Strike.objects.filter(account=alice.account).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        expired = strikes.strikes_expire()

    assert expired == 3
    assert Strike.objects.active().count() == 0
    assert strikes.current_restriction(alice.account.pk) == "none"
    assert strikes.strikes_expire() == 0


def test_a_moderators_own_restriction_is_not_lifted_by_expiry(
    alice, moderator, django_capture_on_commit_callbacks
):
    StrikeFactory(account=alice.account, expires_at=timezone.now() - dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.account_action(moderator=moderator, account=alice.account, type="suspend")
        strikes.strikes_expire()
    assert strikes.current_restriction(alice.account.pk) == "suspended"


def test_reporter_trust_follows_their_record(bob, monkeypatch):
    from core import reputation

    # a neutral account (no reputation provider): its record alone (protection's
    # weighing: tests/protection/test_reputation_consumers.py)
    monkeypatch.setattr(reputation, "_provider", None)
    assert selectors.reporter_trust(reporter_id=bob.account.pk) == 0.5
    from tests.moderation.factories import ReportFactory

    for _ in range(3):
        ReportFactory(reporter=bob.account, outcome=Report.Outcome.UPHELD)
    assert selectors.reporter_trust(reporter_id=bob.account.pk) == 0.8
    for _ in range(5):
        ReportFactory(reporter=bob.account, outcome=Report.Outcome.REJECTED)
    assert selectors.reporter_trust(reporter_id=bob.account.pk) == 0.4


def test_queue_gauge_counts_open_cases_by_band(alice, moderator):
    from prometheus_client import REGISTRY

    def gauge():
        return {
            band: REGISTRY.get_sample_value("moderation_queue_size", {"priority": band})
            for band in ("high", "medium", "low")
        }

    case = queue(alice.post("one"), score=1.0)
    services.queue_metrics_refresh()
    assert gauge() == {"high": 1, "medium": 0, "low": 0}

    services.case_act(case=case, moderator=moderator, action="approve")
    services.queue_metrics_refresh()
    assert gauge() == {"high": 0, "medium": 0, "low": 0}


def test_queue_gauge_reads_the_database_when_stale(alice, monkeypatch):
    from prometheus_client import REGISTRY

    queue(alice.post("one"), score=0.1)
    monkeypatch.setitem(services._queue_sizes, "at", float("-inf"))

    assert REGISTRY.get_sample_value("moderation_queue_size", {"priority": "low"}) == 1


def test_the_hourly_task_expires_strikes(alice):
    from apps.moderation.case_tasks import strikes_expire_task

    StrikeFactory(account=alice.account, expires_at=timezone.now() - dt.timedelta(hours=1))
    StrikeFactory(account=alice.account)

    assert strikes_expire_task.apply().get() == 1
    assert Strike.objects.filter(expired_handled=True).count() == 1


def test_the_expiry_task_is_scheduled():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="moderation: expire strikes and apply the strike policy")
    assert task.task == "moderation.strikes.expire"
    assert task.enabled


def test_metrics_serves_the_review_side_metrics(client, alice, moderator):
    case = queue(alice.post("one"), score=1.0)
    services.case_act(case=case, moderator=moderator, action="hide", reason="x")
    services.queue_metrics_refresh()

    body = client.get("/metrics").content.decode()

    assert 'moderation_queue_size{priority="high"} 0.0' in body
    assert "human_review_decisions_total" in body
    assert "content_reports_total" in body


def test_a_content_action_on_an_account_case_is_refused(alice, bob, moderator):
    report = services.report_create(
        reporter=bob.account, account_id=alice.account.pk, category="spam"
    )

    with pytest.raises(services.CaseError, match="about an account"):
        services.case_act(case=report.case, moderator=moderator, action="remove", reason="x")

    report.case.refresh_from_db()
    assert report.case.state == "open"
    assert not Strike.objects.exists()
    services.case_act(case=report.case, moderator=moderator, action="limit", reason="Spam.")
    assert Strike.objects.get().action == "silence"


def test_marking_hidden_content_sensitive_shows_it_behind_a_warning(
    alice, bob, moderator, django_capture_on_commit_callbacks
):
    from apps.feed.models import Status

    post = alice.post("graphic but newsworthy")
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(
            events.ContentActioned(content_type="status", content_id=int(post["id"]), action="hide")
        )
    case = queue(post, hidden=True)
    assert bob.client.get(f"/api/v1/statuses/{post['id']}").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        services.case_act(case=case, moderator=moderator, action="sensitive", reason="CW added.")

    shown = bob.client.get(f"/api/v1/statuses/{post['id']}")
    assert shown.status_code == 200
    assert shown.json()["sensitive"] is True
    assert Status.objects.get(pk=post["id"]).moderation_state == "visible"


@pytest.mark.parametrize("how", ["case", "admin_action"])
def test_a_suspension_that_is_also_the_third_strike_stays_a_suspension(
    alice, moderator, django_capture_on_commit_callbacks, how
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            strikes.strike_create(account=alice.account, action="none")
    assert strikes.current_restriction(alice.account.pk) == "none"

    with django_capture_on_commit_callbacks(execute=True):
        if how == "case":
            case = queue(alice.post("worst"))
            services.case_act(case=case, moderator=moderator, action="suspend", reason="x")
        else:
            services.account_action(moderator=moderator, account=alice.account, type="suspend")

    assert Strike.objects.filter(account=alice.account).count() == 3
    assert strikes.current_restriction(alice.account.pk) == "suspended"
    assert not AuditEntry.objects.filter(action="strike_policy_restricted").exists()


def test_strike_expiry_does_not_lift_a_suspension_decided_on_a_case_after_a_policy_limit(
    alice, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            strikes.strike_create(account=alice.account, action="none")
    assert strikes.current_restriction(alice.account.pk) == "limited"
    with django_capture_on_commit_callbacks(execute=True):
        case = queue(alice.post("worse"))
        services.case_act(case=case, moderator=moderator, action="suspend", reason="x")
    Strike.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert strikes.strikes_expire() == 4

    assert strikes.current_restriction(alice.account.pk) == "suspended"
