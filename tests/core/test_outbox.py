"""The transactional outbox of domain events (core.events): written in the publisher's
transaction, relayed after commit, retried per handler, never lost to a crash."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core import events
from core.models import OutboxEvent
from core.tasks import events_sweep_task

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class ThingHappened(events.Event):
    thing_id: int
    label: str = ""
    tags: tuple[str, ...] = ()


calls: dict[str, list[ThingHappened]] = {"steady": [], "flaky": []}
flaky_failures_left = [0]


def steady_handler(event: ThingHappened) -> None:
    calls["steady"].append(event)


def flaky_handler(event: ThingHappened) -> None:
    calls["flaky"].append(event)
    if flaky_failures_left[0] > 0:
        flaky_failures_left[0] -= 1
        raise RuntimeError("the flaky handler failed")


STEADY = f"{__name__}.steady_handler"
FLAKY = f"{__name__}.flaky_handler"


@pytest.fixture(autouse=True)
def handlers():
    calls["steady"].clear()
    calls["flaky"].clear()
    flaky_failures_left[0] = 0
    events.subscribe(ThingHappened, steady_handler)
    events.subscribe(ThingHappened, flaky_handler)
    yield
    events.unsubscribe(ThingHappened, steady_handler)
    events.unsubscribe(ThingHappened, flaky_handler)


def make_due(row: OutboxEvent) -> None:
    """The clock moves past the row's backoff."""
    OutboxEvent.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_publish_writes_the_outbox_row_and_delivers_only_after_commit(
    django_capture_on_commit_callbacks,
):
    # given a transaction that publishes an event
    event = ThingHappened(thing_id=7, label="seven", tags=("a", "b"))
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(event)

        # then before commit the row is there and no handler has run
        row = OutboxEvent.objects.get()
        assert row.event_type == "ThingHappened"
        assert row.payload == {"thing_id": 7, "label": "seven", "tags": ["a", "b"]}
        assert row.status == OutboxEvent.Status.PENDING
        assert calls == {"steady": [], "flaky": []}

    # when it commits, then each handler got the same event once and the row is done
    assert calls == {"steady": [event], "flaky": [event]}
    row.refresh_from_db()
    assert row.status == OutboxEvent.Status.DONE
    assert row.attempts == 1
    assert sorted(row.delivered_to) == sorted([STEADY, FLAKY])
    assert row.last_error == ""
    assert row.finished_at is not None


def test_a_rolled_back_transaction_writes_and_delivers_nothing(django_capture_on_commit_callbacks):
    # given a transaction that publishes and then fails
    def publish_then_fail() -> None:
        with transaction.atomic():
            events.publish(ThingHappened(thing_id=1))
            raise ValueError("boom")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValueError, match="boom"):
            publish_then_fail()

    # then no row is left, nothing was scheduled and no handler ran
    assert OutboxEvent.objects.count() == 0
    assert callbacks == []
    assert calls == {"steady": [], "flaky": []}


def test_a_failing_handler_is_retried_later_and_the_others_are_not_run_again(
    django_capture_on_commit_callbacks,
):
    # given a handler that fails once
    flaky_failures_left[0] = 1
    event = ThingHappened(thing_id=3)

    # when the event is published and relayed after commit
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(event)

    # then the steady handler ran and is recorded; the flaky one's failure is kept with backoff
    row = OutboxEvent.objects.get()
    assert row.status == OutboxEvent.Status.PENDING
    assert row.attempts == 1
    assert row.delivered_to == [STEADY]
    assert row.last_error == f"{FLAKY}: RuntimeError: the flaky handler failed"
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=25)

    # and the sweep leaves it alone until its backoff has passed
    assert events_sweep_task() == 0
    assert len(calls["flaky"]) == 1

    # when the backoff has passed and the sweep runs
    make_due(row)
    assert events_sweep_task() == 1

    # then only the flaky handler ran again, and the row is done
    assert calls == {"steady": [event], "flaky": [event, event]}
    row.refresh_from_db()
    assert row.status == OutboxEvent.Status.DONE
    assert row.attempts == 2
    assert row.delivered_to == [STEADY, FLAKY]
    assert row.last_error == ""


def test_a_failing_handler_rolls_back_its_own_writes_only(django_capture_on_commit_callbacks):
    # given a handler that writes (another outbox row, via publish) and then fails
    def writes_then_fails(event: ThingHappened) -> None:
        events.publish(ThingHappened(thing_id=event.thing_id + 100))
        raise RuntimeError("after writing")

    events.subscribe(ThingHappened, writes_then_fails)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish(ThingHappened(thing_id=1))
    finally:
        events.unsubscribe(ThingHappened, writes_then_fails)

    # then its write was rolled back, and the other handlers' delivery was recorded
    row = OutboxEvent.objects.get()
    assert row.payload["thing_id"] == 1
    assert row.delivered_to == [STEADY, FLAKY]
    assert "writes_then_fails: RuntimeError: after writing" in row.last_error


def test_an_event_whose_handler_keeps_failing_is_left_failed_with_the_reason(
    settings, django_capture_on_commit_callbacks
):
    # given a handler that always fails and three attempts allowed
    settings.EVENTS_MAX_ATTEMPTS = 3
    flaky_failures_left[0] = 100
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(ThingHappened(thing_id=5))
    row = OutboxEvent.objects.get()

    # when the sweep retries it twice more
    for _ in range(2):
        make_due(row)
        events_sweep_task()

    # then it is FAILED with the reason, the steady handler having run once
    row.refresh_from_db()
    assert row.status == OutboxEvent.Status.FAILED
    assert row.attempts == 3
    assert row.last_error == f"{FLAKY}: RuntimeError: the flaky handler failed"
    assert len(calls["steady"]) == 1
    assert len(calls["flaky"]) == 3
    # and the sweep no longer touches it
    make_due(row)
    assert events_sweep_task() == 0

    # when an operator delivers it again once the cause is fixed
    flaky_failures_left[0] = 0
    assert events.outbox_redeliver(outbox_ids=[row.pk]) == 1
    events_sweep_task()

    # then it is done, the steady handler still not run again
    row.refresh_from_db()
    assert row.status == OutboxEvent.Status.DONE
    assert len(calls["steady"]) == 1
    assert len(calls["flaky"]) == 4


def test_an_event_whose_relay_never_ran_is_delivered_by_the_sweep(
    django_capture_on_commit_callbacks,
):
    # given a publisher that died right after commit: its after-commit relay never ran
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events.publish(ThingHappened(thing_id=9, tags=("x",)))
    assert len(callbacks) == 1
    assert calls == {"steady": [], "flaky": []}

    # when the worker's periodic sweep runs
    assert events_sweep_task() == 1

    # then the handlers got the event, tuples and all
    assert calls["steady"] == [ThingHappened(thing_id=9, tags=("x",))]
    assert OutboxEvent.objects.get().status == OutboxEvent.Status.DONE


def test_the_relay_skips_a_row_already_delivered(django_capture_on_commit_callbacks):
    # given a delivered event
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(ThingHappened(thing_id=2))
    row = OutboxEvent.objects.get()

    # when a second relay message for it arrives (at least once)
    assert events.relay(outbox_id=row.pk) is False

    # then no handler ran twice
    assert len(calls["steady"]) == 1


def test_the_worker_path_enqueues_the_relay_task(settings, django_capture_on_commit_callbacks):
    # given the production setting: a worker relays (here eagerly, in this process)
    settings.EVENTS_RELAY_IN_PROCESS = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish(ThingHappened(thing_id=4))
    finally:
        app.conf.task_always_eager = False

    # then the relay task delivered it
    assert len(calls["steady"]) == 1
    assert OutboxEvent.objects.get().status == OutboxEvent.Status.DONE


def test_an_unknown_event_type_is_failed_with_the_reason():
    # given a row naming an event type the code no longer defines
    row = OutboxEvent.objects.create(
        event_type="Vanished", payload={"x": 1}, next_attempt_at=timezone.now()
    )

    # when the sweep relays it
    events_sweep_task()

    # then it is failed, saying why
    row.refresh_from_db()
    assert row.status == OutboxEvent.Status.FAILED
    assert row.last_error == "cannot rebuild the event: UnknownEvent: Vanished"


def test_the_sweep_deletes_delivered_rows_past_their_retention(settings):
    # given a delivered row older than the retention, and a failed one as old
    settings.EVENTS_DONE_RETENTION_DAYS = 7
    old = timezone.now() - timedelta(days=8)
    for status in (OutboxEvent.Status.DONE, OutboxEvent.Status.FAILED):
        OutboxEvent.objects.create(
            event_type="ThingHappened",
            payload={"thing_id": 1},
            status=status,
            next_attempt_at=old,
            finished_at=old,
        )

    # when the sweep runs
    events_sweep_task()

    # then only the failed one is kept for operators
    assert list(OutboxEvent.objects.values_list("status", flat=True)) == ["FAILED"]
