"""Celery task names are stable and path-free ("feed.fanout"), and beat's rows follow.

A task's name is what the broker and django-celery-beat store: a name that spells a
module path changes whenever the module moves (feed's fanout is being split into a
package), stranding queued messages and periodic tasks on a name no worker knows.
"""

import importlib
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.celery import app as celery_app
from core.schedules import schedulable_tasks

ROOT = Path(__file__).resolve().parents[2]
STABLE_NAME = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
rename = importlib.import_module("core.migrations.0007_task_names")


def agora_task_names() -> set[str]:
    """Every task Agora registers: each installed app's task modules imported, then asked."""
    for config in apps.get_app_configs():
        if not (config.name == "core" or config.name.startswith("apps.")):
            continue
        folder = Path(config.path)
        for module in [*folder.glob("*tasks.py"), *folder.glob("tasks/*.py")]:
            dotted = ".".join(module.relative_to(folder).with_suffix("").parts)
            importlib.import_module(f"{config.name}.{dotted}".removesuffix(".__init__"))
    # Leave out Celery's own tasks and those test modules declare (tests.core.count_to).
    return {
        name
        for name, task in celery_app.tasks.items()
        if task.run.__module__.split(".")[0] in {"core", "apps"}
    }


def test_every_task_has_a_stable_name_without_a_module_path():
    names = agora_task_names()

    assert "feed.fanout" in names  # the discovery found the apps' tasks
    assert "media.process" in names
    assert "core.events.relay" in names
    assert {"feed.push_notify", "feed.push_deliver"} <= names
    assert {"feed.poll_expire", "feed.polls_expire_due"} <= names
    assert sorted(name for name in names if not STABLE_NAME.match(name)) == []
    assert sorted(name for name in names if name.startswith("apps.")) == []


def test_each_task_name_starts_with_its_apps_label():
    labels = {config.label for config in apps.get_app_configs()}

    assert sorted(name for name in agora_task_names() if name.split(".")[0] not in labels) == []


def test_every_schedulable_task_is_a_registered_task():
    assert set(schedulable_tasks()) <= agora_task_names()


@pytest.mark.django_db
def test_every_periodic_task_of_a_migrated_database_names_a_registered_task():
    # The rename migration runs after the app migrations that scheduled the old names.
    stored = set(PeriodicTask.objects.values_list("task", flat=True))

    assert stored
    assert stored <= agora_task_names()


@pytest.mark.django_db
def test_the_migration_renames_rows_with_a_former_name_and_back():
    # given a row scheduled under a former, path-like name, and one under another name
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.create(
        name="old", task="apps.feed.tasks.feed_fanout_task", interval=every_hour
    )
    PeriodicTask.objects.create(name="custom", task="core.events.sweep", interval=every_hour)
    editor = SimpleNamespace(connection=connection)

    # when migrated forwards, then backwards
    rename.forwards(apps, editor)
    forwards = dict(PeriodicTask.objects.values_list("name", "task"))
    rename.backwards(apps, editor)
    backwards = dict(PeriodicTask.objects.values_list("name", "task"))

    # then
    assert (forwards["old"], forwards["custom"]) == ("feed.fanout", "core.events.sweep")
    assert (backwards["old"], backwards["custom"]) == (
        "apps.feed.tasks.feed_fanout_task",
        "core.events.sweep",
    )


def test_the_migration_knows_every_former_name_and_maps_it_to_a_registered_task():
    assert set(rename.RENAMES.values()) <= agora_task_names()
    assert all(old.startswith("apps.") for old in rename.RENAMES)


def test_a_fresh_web_process_finds_every_task_a_service_may_send(tmp_path):
    """A web process never runs Celery's autodiscovery (a worker does, on start): a
    service sending ``feed.merge`` before anything imported ``apps.feed.tasks`` got
    NotRegistered, a 500 on the first follow of a fresh process with the feed store on.
    ``core.queue.task`` imports the default task modules when a name is missing."""
    import json
    import os
    import subprocess
    import sys

    declared = sorted(
        name
        for path in [*(ROOT / "apps").rglob("*.py"), *(ROOT / "platform" / "core").rglob("*.py")]
        for name in re.findall(r'shared_task\([^)]*name="([^"]+)"', path.read_text(), re.S)
    )
    script = (
        "import json, sys\n"
        "sys.path[:0] = ['platform', '.']\n"
        "import django; django.setup()\n"
        "from core import queue\n"
        "found = []\n"
        "for name in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        queue.task(name); found.append(name)\n"
        "    except Exception as error:\n"
        "        print(name, type(error).__name__, file=sys.stderr)\n"
        "print(json.dumps(found))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(declared)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert len(declared) > 20
    assert json.loads(result.stdout.strip().splitlines()[-1]) == declared, result.stderr
