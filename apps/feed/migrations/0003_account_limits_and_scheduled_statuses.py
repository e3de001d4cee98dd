"""Account limits (moderation restrictions the feed applies), scheduled statuses, and the
periodic task that publishes due scheduled statuses every minute (django-celery-beat)."""

import core.models
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TASK_NAME = "feed: publish due scheduled statuses"
TASK = "apps.feed.scheduling_tasks.scheduled_statuses_publish_task"


def schedule_publishing(apps, schema_editor):
    alias = schema_editor.connection.alias
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.using(alias).get_or_create(every=1, period="minutes")
    PeriodicTask.objects.using(alias).update_or_create(
        name=TASK_NAME,
        defaults={"task": TASK, "interval": every_minute, "enabled": True},
    )


def unschedule_publishing(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.using(schema_editor.connection.alias).filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_posting_defaults"),
        ("feed", "0002_search_and_ranking"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountLimit",
            fields=[
                (
                    "account",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="feed_limit",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "restriction",
                    models.CharField(
                        choices=[
                            ("limit", "limited"),
                            ("suspend", "suspended"),
                            ("disable", "disabled"),
                        ],
                        max_length=10,
                    ),
                ),
                ("reason", models.CharField(blank=True, max_length=500)),
                ("until", models.DateTimeField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="ScheduledStatus",
            fields=[
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("id", core.models.SnowflakeIdField(serialize=False)),
                ("scheduled_at", models.DateTimeField(db_index=True)),
                ("params", models.JSONField(default=dict)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="scheduled_statuses",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "scheduled statuses",
                "indexes": [
                    models.Index(fields=["account", "-id"], name="feed_scheduled_account_id")
                ],
            },
        ),
        migrations.RunPython(schedule_publishing, unschedule_publishing),
    ]
