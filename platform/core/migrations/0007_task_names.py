"""Celery tasks have stable names that do not encode module paths ("feed.fanout"):
the periodic tasks apps scheduled under their former, path-like names are renamed
(and back when reversed), so beat keeps sending tasks the workers know.

Core owns the rewrite because it owns the schedulable registry (core.schedules,
core.admin_beat). It runs after the app migrations that created those rows, for the
apps that are installed: a removed app adds no dependency, and left no row to rename.
"""

from django.apps import apps as global_apps
from django.db import migrations

# The former name -> the stable one. Frozen here: a migration must not import app code.
RENAMES = {
    "apps.feed.tasks.feed_fanout_task": "feed.fanout",
    "apps.feed.tasks.feed_unpush_task": "feed.unpush",
    "apps.feed.tasks.feed_merge_task": "feed.merge",
    "apps.feed.tasks.feed_unmerge_task": "feed.unmerge",
    "apps.feed.scheduling_tasks.scheduled_statuses_publish_task": "feed.scheduled_statuses.publish",
    "apps.feed.ranking_tasks.ranking_train_task": "feed.ranking.train",
    "apps.media.tasks.media_remove_unattached_task": "media.remove_unattached",
    "apps.media.tasks.uploads_expire_task": "media.uploads.expire",
    "apps.media.tasks.media_delete_for_status_task": "media.delete_for_status",
    "apps.media.tasks.media_moderate_task": "media.moderate",
    "apps.moderation.tasks.content_assess_task": "moderation.assess",
    "apps.moderation.tasks.content_assess_drain_task": "moderation.assess.drain",
    "apps.moderation.tasks.content_assess_sweep_task": "moderation.assess.sweep",
    "apps.moderation.tasks.media_assess_task": "moderation.media.assess",
    "apps.moderation.case_tasks.strikes_expire_task": "moderation.strikes.expire",
}

# The last migration of each app that schedules a task under a former name.
SCHEDULED_BY = {
    "apps.feed": ("feed", "0003_account_limits_and_scheduled_statuses"),
    "apps.media": ("media", "0002_periodic_tasks"),
    "apps.moderation": ("moderation", "0003_pending_sweep_schedule"),
}


def _rename(apps, schema_editor, renames):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    tasks = PeriodicTask.objects.using(schema_editor.connection.alias)
    for old, new in renames.items():
        tasks.filter(task=old).update(task=new)


def forwards(apps, schema_editor):
    _rename(apps, schema_editor, RENAMES)


def backwards(apps, schema_editor):
    _rename(apps, schema_editor, {new: old for old, new in RENAMES.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_audit_entry"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        *(
            dependency
            for app, dependency in SCHEDULED_BY.items()
            if global_apps.is_installed(app)
        ),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
