"""Protection's periodic task (django-celery-beat): every hour each account's trust score
is recomputed, for what no event tells (ageing, follows, blocks)."""

from django.db import migrations

from core.schedules import schedule_interval_task


class Migration(migrations.Migration):
    dependencies = [
        ("protection", "0002_shields_expire_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_interval_task(
            "protection: reputation sweep", "protection.reputation_sweep", every=1, period="hours"
        ),
    ]
