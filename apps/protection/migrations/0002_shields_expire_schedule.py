"""Protection's periodic task (django-celery-beat): every minute the shields whose time ran
out come down, with their recap."""

from django.db import migrations

from core.schedules import schedule_interval_task


class Migration(migrations.Migration):
    dependencies = [
        ("protection", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_interval_task(
            "protection: shields expire", "protection.shields_expire", every=60, period="seconds"
        ),
    ]
