"""Periodic tasks that apps create with a migration (django-celery-beat rows).

An app schedules its task in one of its migrations, so a fresh database has it and
operators can change or disable it in the admin (Periodic tasks) afterwards::

    operations = [schedule_interval_task("feed: do it", "apps.feed.tasks.do_it", every=1, period="hours")]

Reversing the migration removes the row. The migration must depend on
``("django_celery_beat", "0019_alter_periodictasks_options")``.
"""

from __future__ import annotations

from django.db import migrations


def schedule_interval_task(
    name: str, task: str, *, every: int, period: str
) -> migrations.RunPython:
    """A migration operation: run ``task`` every ``every`` ``period`` (e.g. 1, "hours") as ``name``."""

    def schedule(apps, schema_editor):
        alias = schema_editor.connection.alias
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        interval, _ = IntervalSchedule.objects.using(alias).get_or_create(
            every=every, period=period
        )
        PeriodicTask.objects.using(alias).update_or_create(
            name=name, defaults={"task": task, "interval": interval, "enabled": True}
        )

    def unschedule(apps, schema_editor):
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        PeriodicTask.objects.using(schema_editor.connection.alias).filter(name=name).delete()

    return migrations.RunPython(schedule, unschedule)
