"""The media app's periodic tasks (django-celery-beat): hourly removal of media no status
attached within a day, and expiry of abandoned resumable uploads."""

from django.db import migrations

from core.schedules import schedule_interval_task


class Migration(migrations.Migration):
    dependencies = [
        ("media", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_interval_task(
            "media: remove unattached media",
            "apps.media.tasks.media_remove_unattached_task",
            every=1,
            period="hours",
        ),
        schedule_interval_task(
            "media: expire abandoned uploads",
            "apps.media.tasks.uploads_expire_task",
            every=1,
            period="hours",
        ),
    ]
