"""The media app's periodic tasks (django-celery-beat): hourly removal of media no status
attached within a day, and expiry of abandoned resumable uploads."""

from django.db import migrations

TASKS = {
    "media: remove unattached media": "apps.media.tasks.media_remove_unattached_task",
    "media: expire abandoned uploads": "apps.media.tasks.uploads_expire_task",
}


def schedule(apps, schema_editor):
    alias = schema_editor.connection.alias
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _ = IntervalSchedule.objects.using(alias).get_or_create(every=1, period="hours")
    for name, task in TASKS.items():
        PeriodicTask.objects.using(alias).update_or_create(
            name=name, defaults={"task": task, "interval": hourly, "enabled": True}
        )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.using(schema_editor.connection.alias).filter(name__in=TASKS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("media", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
