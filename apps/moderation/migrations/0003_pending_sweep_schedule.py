"""Beat runs the pending-list sweep every minute: assessments a lost drain task left wait
at most a minute plus the drain claim's expiry (apps.moderation.pipeline.pending_sweep)."""

from django.db import migrations

NAME = "moderation: assess what a lost drain left pending"
TASK = "apps.moderation.tasks.content_assess_sweep_task"


def schedule(apps, schema_editor):
    alias = schema_editor.connection.alias
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.using(alias).get_or_create(every=1, period="minutes")
    PeriodicTask.objects.using(alias).update_or_create(
        name=NAME, defaults={"task": TASK, "interval": every_minute, "enabled": True}
    )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.using(schema_editor.connection.alias).filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0002_cases"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
