"""Search and ranking: the full-text index on statuses (PostgreSQL only), the learned
ranking model table, and the periodic task that trains it (django-celery-beat)."""

import django.utils.timezone
from django.db import migrations, models

# Must be the very expression apps.feed.search builds with
# SearchVector("text", "spoiler_text", config="simple"), or the planner will not use it.
SEARCH_INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS feed_status_search_fts ON feed_status USING gin "
    "((to_tsvector('simple'::regconfig, "
    "COALESCE(text, '') || ' ' || COALESCE(spoiler_text, ''))))"
)
TAG_PREFIX_INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS feed_tag_name_prefix ON feed_tag (UPPER(name) text_pattern_ops)"
)
TASK_NAME = "feed: train the ranked timeline model"
TASK = "apps.feed.ranking_tasks.ranking_train_task"


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(SEARCH_INDEX_SQL)
    schema_editor.execute(TAG_PREFIX_INDEX_SQL)


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS feed_status_search_fts")
    schema_editor.execute("DROP INDEX IF EXISTS feed_tag_name_prefix")


def schedule_training(apps, schema_editor):
    alias = schema_editor.connection.alias
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_hour, _ = IntervalSchedule.objects.using(alias).get_or_create(every=1, period="hours")
    PeriodicTask.objects.using(alias).update_or_create(
        name=TASK_NAME,
        defaults={"task": TASK, "interval": every_hour, "enabled": True},
    )


def unschedule_training(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.using(schema_editor.connection.alias).filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feed", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="RankingModel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.PositiveIntegerField(unique=True)),
                ("weights", models.JSONField(default=dict)),
                ("sample_count", models.PositiveIntegerField(default=0)),
                ("positive_count", models.PositiveIntegerField(default=0)),
                ("log_loss", models.FloatField(blank=True, null=True)),
                ("trained_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"ordering": ["-version"]},
        ),
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
        migrations.RunPython(schedule_training, unschedule_training),
    ]
