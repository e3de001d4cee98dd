"""Mastodon 4.3's notification policies: NotificationPolicy (with ``strict_until``),
NotificationRequest, NotificationPermission, and ``Notification.filtered``."""

import core.models
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feed", "0018_status_extensions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="NotificationPermission",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.CreateModel(
            name="NotificationPolicy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "for_not_following",
                    models.CharField(
                        choices=[("accept", "accept"), ("filter", "filter"), ("drop", "drop")],
                        default="accept",
                        max_length=8,
                    ),
                ),
                (
                    "for_not_followers",
                    models.CharField(
                        choices=[("accept", "accept"), ("filter", "filter"), ("drop", "drop")],
                        default="accept",
                        max_length=8,
                    ),
                ),
                (
                    "for_new_accounts",
                    models.CharField(
                        choices=[("accept", "accept"), ("filter", "filter"), ("drop", "drop")],
                        default="accept",
                        max_length=8,
                    ),
                ),
                (
                    "for_private_mentions",
                    models.CharField(
                        choices=[("accept", "accept"), ("filter", "filter"), ("drop", "drop")],
                        default="filter",
                        max_length=8,
                    ),
                ),
                (
                    "for_limited_accounts",
                    models.CharField(
                        choices=[("accept", "accept"), ("filter", "filter"), ("drop", "drop")],
                        default="filter",
                        max_length=8,
                    ),
                ),
                ("strict_until", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name_plural": "notification policies",
            },
        ),
        migrations.CreateModel(
            name="NotificationRequest",
            fields=[
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("id", core.models.SnowflakeIdField(serialize=False)),
                ("notifications_count", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="notification",
            name="filtered",
            field=models.BooleanField(default=False),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("filtered", True)),
                fields=["account", "from_account"],
                name="feed_notification_filtered",
            ),
        ),
        migrations.AddField(
            model_name="notificationpermission",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="notificationpermission",
            name="from_account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="notificationpolicy",
            name="account",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notification_policy",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="notificationrequest",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notification_requests",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="notificationrequest",
            name="from_account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="notificationrequest",
            name="last_status",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="feed.status",
            ),
        ),
        migrations.AddConstraint(
            model_name="notificationpermission",
            constraint=models.UniqueConstraint(
                fields=("account", "from_account"), name="feed_notificationpermission_unique"
            ),
        ),
        migrations.AddIndex(
            model_name="notificationrequest",
            index=models.Index(fields=["account", "-id"], name="feed_notificationrequest_list"),
        ),
        migrations.AddConstraint(
            model_name="notificationrequest",
            constraint=models.UniqueConstraint(
                fields=("account", "from_account"), name="feed_notificationrequest_unique"
            ),
        ),
    ]
