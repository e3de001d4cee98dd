"""Beat runs the outbox sweep every minute: an event whose relay message was lost (its
publisher died right after commit, or the broker was down) is delivered within a
minute, and a failing handler is retried when its backoff ends (core.events.relay_due).
It also runs the job reaper every minute: a job whose worker vanished is enqueued again
or failed with a reason (core.jobs.job_reap_lost)."""

from django.db import migrations

from core.schedules import schedule_interval_task


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_outbox_and_worker_heartbeat"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_interval_task(
            "core: relay domain events left in the outbox",
            "core.events.sweep",
            every=1,
            period="minutes",
        ),
        schedule_interval_task(
            "core: retry or fail jobs whose worker vanished",
            "core.jobs.reap",
            every=1,
            period="minutes",
        ),
    ]
