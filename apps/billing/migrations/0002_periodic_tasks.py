"""Billing's periodic tasks (django-celery-beat): retrying failed Stripe events every
minute, lapsing plans whose grace period ended every 15 minutes, posting watch-time
revenue hourly, and paying (or finishing) last month's payout batch daily: a batch
already paid does nothing, so the daily run is the monthly batch."""

from django.db import migrations

from core.schedules import schedule_interval_task


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_interval_task(
            "billing: retry failed Stripe events", "billing.retry_events", every=1, period="minutes"
        ),
        schedule_interval_task(
            "billing: lapse plans after their grace period", "billing.dunning", every=15, period="minutes"
        ),
        schedule_interval_task(
            "billing: post watch-time revenue", "billing.accrue_watch_time", every=1, period="hours"
        ),
        schedule_interval_task(
            "billing: pay last month's creator payouts", "billing.payout_batch", every=1, period="days"
        ),
    ]
