"""Beat runs the pending-list sweep every minute: assessments a lost drain task left wait
at most a minute plus the drain claim's expiry (apps.moderation.pipeline.pending_sweep)."""

from django.db import migrations

from core.schedules import schedule_interval_task


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0002_cases"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_interval_task(
            "moderation: assess what a lost drain left pending",
            "apps.moderation.tasks.content_assess_sweep_task",
            every=1,
            period="minutes",
        ),
    ]
