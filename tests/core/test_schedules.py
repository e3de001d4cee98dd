"""core.schedules: the migration operation that creates (and on reverse removes) a beat task."""

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django_celery_beat.models import PeriodicTask

from core.schedules import schedule_interval_task

pytestmark = pytest.mark.django_db

# What the operation reads of the schema editor: its connection (the database alias).
EDITOR = SimpleNamespace(connection=connection)


def test_forward_schedules_and_reverse_removes_only_its_task():
    operation = schedule_interval_task("test: tick", "tests.tick", every=5, period="minutes")
    other = PeriodicTask.objects.exclude(name="test: tick").count()

    operation.code(apps, EDITOR)
    operation.code(apps, EDITOR)  # twice: still one row
    task = PeriodicTask.objects.get(name="test: tick")
    assert (task.task, task.enabled) == ("tests.tick", True)
    assert (task.interval.every, task.interval.period) == (5, "minutes")
    assert PeriodicTask.objects.filter(name="test: tick").count() == 1

    operation.reverse_code(apps, EDITOR)
    assert not PeriodicTask.objects.filter(name="test: tick").exists()
    assert PeriodicTask.objects.count() == other


def test_the_apps_periodic_tasks_exist_after_migrating():
    names = set(PeriodicTask.objects.values_list("name", flat=True))

    assert {
        "media: remove unattached media",
        "media: expire abandoned uploads",
        "moderation: expire strikes and apply the strike policy",
        "moderation: assess what a lost drain left pending",
        "feed: train the ranked timeline model",
        "feed: publish due scheduled statuses",
    } <= names
