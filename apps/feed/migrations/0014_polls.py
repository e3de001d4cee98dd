"""Polls (Mastodon's Poll and PollVote), the ``poll`` notification type, a revision's poll
options, and the periodic sweep that notifies ended polls (``feed.polls_expire_due``)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import core.models
from core.schedules import schedule_interval_task


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("feed", "0013_lists"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="statusedit",
            name="poll_options",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="notification",
            name="type",
            field=models.CharField(
                choices=[
                    ("mention", "Mention"),
                    ("status", "Status"),
                    ("reblog", "Reblog"),
                    ("follow", "Follow"),
                    ("follow_request", "Follow Request"),
                    ("favourite", "Favourite"),
                    ("update", "Update"),
                    ("moderation_warning", "Moderation Warning"),
                    ("poll", "Poll"),
                ],
                max_length=32,
            ),
        ),
        migrations.CreateModel(
            name="Poll",
            fields=[
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("id", core.models.SnowflakeIdField(serialize=False)),
                ("options", models.JSONField(default=list)),
                ("cached_tallies", models.JSONField(default=list)),
                ("expires_at", models.DateTimeField(db_index=True)),
                ("multiple", models.BooleanField(default=False)),
                ("hide_totals", models.BooleanField(default=False)),
                ("votes_count", models.PositiveIntegerField(default=0)),
                ("voters_count", models.PositiveIntegerField(default=0)),
                ("ended_notified_at", models.DateTimeField(blank=True, null=True)),
                (
                    "status",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="poll",
                        to="feed.status",
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="PollVote",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("choice", models.PositiveSmallIntegerField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "poll",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="votes",
                        to="feed.poll",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["account", "poll"], name="feed_pollvote_account")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("poll", "account", "choice"), name="feed_pollvote_unique"
                    )
                ],
            },
        ),
        schedule_interval_task(
            "feed: notify ended polls", "feed.polls_expire_due", every=5, period="minutes"
        ),
    ]
