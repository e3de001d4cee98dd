"""Live's periodic task (django-celery-beat): every 5 seconds each live stream's room hears
its viewer count, and the counts are folded into its peak and unique viewers."""

from django.db import migrations

from core.schedules import schedule_interval_task


class Migration(migrations.Migration):
    dependencies = [
        ("live", "0006_viewers"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_interval_task(
            "live: viewer counts", "live.viewer_counts", every=5, period="seconds"
        ),
    ]
