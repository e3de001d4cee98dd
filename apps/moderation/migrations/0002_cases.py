"""The review side: cases, reports, rules, strikes and the append-only audit trail.

The audit table gets database triggers: on PostgreSQL every UPDATE and DELETE of a
row is refused, on SQLite every UPDATE (a DELETE trigger there would break the
test runner's flush, which empties tables with DELETE; the model, queryset and
admin refuse deletion). Also schedules the hourly strike-expiry task.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import core.models
from core.schedules import schedule_interval_task

AUDIT_TRIGGERS = {
    "postgresql": (
        [
            """
            CREATE OR REPLACE FUNCTION moderation_auditrecord_refuse() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'moderation_auditrecord is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """,
            """
            CREATE TRIGGER moderation_auditrecord_append_only
            BEFORE UPDATE OR DELETE ON moderation_auditrecord
            FOR EACH ROW EXECUTE FUNCTION moderation_auditrecord_refuse()
            """,
        ],
        [
            "DROP TRIGGER IF EXISTS moderation_auditrecord_append_only ON moderation_auditrecord",
            "DROP FUNCTION IF EXISTS moderation_auditrecord_refuse()",
        ],
    ),
    "sqlite": (
        [
            """
            CREATE TRIGGER IF NOT EXISTS moderation_auditrecord_no_update
            BEFORE UPDATE ON moderation_auditrecord
            BEGIN SELECT RAISE(ABORT, 'moderation_auditrecord is append-only: UPDATE refused'); END
            """,
        ],
        ["DROP TRIGGER IF EXISTS moderation_auditrecord_no_update"],
    ),
}
TASK_NAME = "moderation: expire strikes and apply the strike policy"
TASK = "apps.moderation.case_tasks.strikes_expire_task"


def create_audit_triggers(apps, schema_editor):
    forward, _ = AUDIT_TRIGGERS.get(schema_editor.connection.vendor, ([], []))
    for sql in forward:
        # No parameters: the SQL holds a literal % (PL/pgSQL RAISE), not placeholders.
        schema_editor.execute(sql, params=None)


def drop_audit_triggers(apps, schema_editor):
    _, backward = AUDIT_TRIGGERS.get(schema_editor.connection.vendor, ([], []))
    for sql in backward:
        # No parameters: the SQL holds a literal % (PL/pgSQL RAISE), not placeholders.
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="Rule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("text", models.CharField(max_length=300)),
                ("hint", models.TextField(blank=True)),
                ("position", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["position", "id"],
            },
        ),
        migrations.CreateModel(
            name="AuditRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("actor_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                ("actor_name", models.CharField(blank=True, max_length=150)),
                ("action", models.CharField(db_index=True, max_length=64)),
                ("target_type", models.CharField(max_length=32)),
                ("target_id", models.BigIntegerField()),
                ("before", models.JSONField(blank=True, default=dict)),
                ("after", models.JSONField(blank=True, default=dict)),
                ("note", models.TextField(blank=True)),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
            ],
            options={
                "ordering": ["-id"],
                "indexes": [
                    models.Index(fields=["target_type", "target_id"], name="mod_audit_target")
                ],
            },
        ),
        migrations.CreateModel(
            name="Case",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("content_type", models.CharField(max_length=32)),
                ("content_id", models.BigIntegerField()),
                ("author_id", models.BigIntegerField(db_index=True)),
                ("category", models.CharField(db_index=True, max_length=16)),
                (
                    "source",
                    models.CharField(
                        choices=[("automated", "Automated"), ("report", "Report")], max_length=16
                    ),
                ),
                ("from_automated", models.BooleanField(default=False)),
                ("report_count", models.PositiveIntegerField(default=0)),
                (
                    "state",
                    models.CharField(
                        choices=[("open", "Open"), ("resolved", "Resolved")],
                        default="open",
                        max_length=16,
                    ),
                ),
                (
                    "score",
                    models.FloatField(default=0.0, help_text="Highest automated score, 0..1."),
                ),
                (
                    "reach",
                    models.PositiveIntegerField(default=0, help_text="Followers and engagement."),
                ),
                (
                    "reporter_weight",
                    models.FloatField(default=0.0, help_text="Sum of the reporters' trust."),
                ),
                ("priority", models.FloatField(db_index=True, default=0.0)),
                ("hidden", models.BooleanField(default=False, help_text="Hidden until reviewed.")),
                ("claimed_until", models.DateTimeField(blank=True, null=True)),
                ("sla_due_at", models.DateTimeField(blank=True, null=True)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                (
                    "resolution",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("approve", "Approve"),
                            ("hide", "Hide"),
                            ("remove", "Remove"),
                            ("sensitive", "Mark sensitive"),
                            ("limit", "Limit the account"),
                            ("suspend", "Suspend the account"),
                            ("warn", "Warn"),
                        ],
                        max_length=16,
                    ),
                ),
                ("resolution_note", models.TextField(blank=True)),
                ("resolution_reason", models.TextField(blank=True, help_text="Shown to the user.")),
                (
                    "assessment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="moderation.assessment",
                    ),
                ),
                (
                    "assigned_to",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-priority", "created_at"],
                "permissions": [("act_on_case", "Can act on review cases")],
            },
        ),
        migrations.CreateModel(
            name="Report",
            fields=[
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("id", core.models.SnowflakeIdField(serialize=False)),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("spam", "Spam"),
                            ("legal", "Legal"),
                            ("violation", "Rule violation"),
                            ("other", "Other"),
                        ],
                        max_length=16,
                    ),
                ),
                ("comment", models.TextField(blank=True, max_length=1000)),
                ("forwarded", models.BooleanField(default=False)),
                ("status_ids", models.JSONField(blank=True, default=list)),
                ("trust", models.FloatField(default=0.5)),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("upheld", "Upheld"),
                            ("rejected", "Rejected"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("action_taken_at", models.DateTimeField(blank=True, null=True)),
                (
                    "action_taken_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reports",
                        to="moderation.case",
                    ),
                ),
                (
                    "reporter",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reports_filed",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "target_account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reports_received",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "rules",
                    models.ManyToManyField(
                        blank=True, related_name="reports", to="moderation.rule"
                    ),
                ),
            ],
            options={
                "ordering": ["-id"],
            },
        ),
        migrations.CreateModel(
            name="Strike",
            fields=[
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("id", core.models.SnowflakeIdField(serialize=False)),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("none", "Warning"),
                            ("disable", "Login disabled"),
                            ("mark_statuses_as_sensitive", "Statuses marked sensitive"),
                            ("delete_statuses", "Statuses removed"),
                            ("sensitive", "Account marked sensitive"),
                            ("silence", "Account limited"),
                            ("suspend", "Account suspended"),
                        ],
                        max_length=32,
                    ),
                ),
                ("text", models.TextField(blank=True, help_text="The reason, shown to the user.")),
                ("status_ids", models.JSONField(blank=True, default=list)),
                ("expires_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                ("expired_handled", models.BooleanField(default=False)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="strikes",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="strikes",
                        to="moderation.case",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-id"],
            },
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["state", "-priority", "created_at"], name="mod_case_queue"),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "open")),
                fields=("content_type", "content_id"),
                name="moderation_case_one_open_per_content",
            ),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["reporter", "outcome"], name="mod_report_reporter"),
        ),
        migrations.RunPython(create_audit_triggers, drop_audit_triggers, elidable=False),
        schedule_interval_task(TASK_NAME, TASK, every=1, period="hours"),
    ]
