"""Celery's queues: media work on "media", moderation's on "moderation", the rest on the
default queue ("celery"); a worker started without -Q consumes all three.

Routed by Celery's own router (``CELERY_TASK_ROUTES``), as a send would route them:
no broker is needed to know where a task goes.
"""

import pytest
from django.conf import settings

from config.celery import app
from tests.core.test_task_names import agora_task_names

QUEUES = {"celery", "media", "moderation"}


def queue_of(name: str, **options: object) -> str:
    return app.amqp.router.route(dict(options), name)["queue"].name


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("media.process", "media"),
        ("media.delete_for_status", "media"),
        ("live.replay_create", "media"),
        ("moderation.assess", "moderation"),
        ("moderation.media.assess", "moderation"),
        ("moderation.strikes.expire", "moderation"),
        ("feed.fanout", "celery"),
        ("core.events.relay", "celery"),
        ("billing.process_event", "celery"),
        ("live.viewer_counts", "celery"),
    ],
)
def test_a_task_is_routed_to_its_queue(task, queue):
    assert task in agora_task_names()
    assert queue_of(task) == queue


def test_every_task_goes_to_a_declared_queue():
    routed = {name: queue_of(name) for name in agora_task_names()}

    assert set(routed.values()) == QUEUES
    assert {name for name, queue in routed.items() if queue == "media"} == {
        name for name in routed if name.startswith("media.")
    } | {"live.replay_create"}
    assert {name for name, queue in routed.items() if queue == "moderation"} == {
        name for name in routed if name.startswith("moderation.")
    }


def test_a_worker_without_queues_named_consumes_all_three():
    # `celery worker` without -Q consumes every queue in task_queues (make run, compose).
    assert {queue.name for queue in settings.CELERY_TASK_QUEUES} == QUEUES
    assert set(app.amqp.queues) == QUEUES
    assert app.conf.task_default_queue == "celery"


def test_an_explicit_queue_still_wins_over_the_route():
    # An operator may send a task elsewhere (`send_task(..., queue=...)`).
    assert queue_of("media.process", queue="celery") == "celery"
    assert queue_of("moderation.assess", queue=None) == "moderation"
