"""The pending-list sweep: scheduled every minute by a migration; a no-op without Redis."""

import pytest
from django_celery_beat.models import PeriodicTask

from apps.moderation import pipeline
from apps.moderation.tasks import content_assess_sweep_task

pytestmark = pytest.mark.django_db


def test_beat_runs_the_sweep_every_minute():
    task = PeriodicTask.objects.get(task="moderation.assess.sweep")

    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, "minutes")


def test_without_redis_there_is_no_pending_list_to_sweep(settings):
    settings.REDIS_URL = ""

    assert not pipeline.batching_is_enabled()
    assert content_assess_sweep_task() == 0
