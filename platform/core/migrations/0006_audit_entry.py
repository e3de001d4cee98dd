"""The platform's audit trail, append-only, in core so that every app can write it.

Moderation's ``AuditRecord`` rows are copied here by moderation's own migration
(``moderation.0004_audit_moved_to_core``): core sits below moderation and must not
depend on it. The table gets the database triggers moderation's had: on PostgreSQL
every UPDATE and DELETE of a row is refused, on SQLite every UPDATE (a DELETE
trigger there would break the test runner's flush, which empties tables with
DELETE; the model, queryset and admin refuse deletion).
"""

import django.utils.timezone
from django.db import migrations, models

AUDIT_TRIGGERS = {
    "postgresql": (
        [
            """
            CREATE OR REPLACE FUNCTION core_auditentry_refuse() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'core_auditentry is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """,
            """
            CREATE TRIGGER core_auditentry_append_only
            BEFORE UPDATE OR DELETE ON core_auditentry
            FOR EACH ROW EXECUTE FUNCTION core_auditentry_refuse()
            """,
        ],
        [
            "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry",
            "DROP FUNCTION IF EXISTS core_auditentry_refuse()",
        ],
    ),
    "sqlite": (
        [
            """
            CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update
            BEFORE UPDATE ON core_auditentry
            BEGIN SELECT RAISE(ABORT, 'core_auditentry is append-only: UPDATE refused'); END
            """,
        ],
        ["DROP TRIGGER IF EXISTS core_auditentry_no_update"],
    ),
}


ACTION_CHOICES = [
    ("case_opened", "case opened"),
    ("case_joined", "case joined"),
    ("report_filed", "report filed"),
    ("case_claimed", "case claimed"),
    ("case_unclaimed", "case unclaimed"),
    ("case_reopened", "case reopened"),
    ("case_approve", "case approved"),
    ("case_hide", "case: content hidden"),
    ("case_remove", "case: content removed"),
    ("case_sensitive", "case: content marked sensitive"),
    ("case_limit", "case: account limited"),
    ("case_suspend", "case: account suspended"),
    ("case_warn", "case: author warned"),
    ("case_approve_bulk", "case approved (bulk)"),
    ("case_hide_bulk", "case: content hidden (bulk)"),
    ("case_remove_bulk", "case: content removed (bulk)"),
    ("case_sensitive_bulk", "case: content marked sensitive (bulk)"),
    ("case_limit_bulk", "case: account limited (bulk)"),
    ("case_suspend_bulk", "case: account suspended (bulk)"),
    ("case_warn_bulk", "case: author warned (bulk)"),
    ("account_none", "account warned"),
    ("account_sensitive", "account's media marked sensitive"),
    ("account_limit", "account limited"),
    ("account_silence", "account silenced"),
    ("account_suspend", "account suspended"),
    ("account_disable", "account disabled"),
    ("account_enable", "account enabled"),
    ("account_unsilence", "account unsilenced"),
    ("account_unsuspend", "account unsuspended"),
    ("strike_created", "strike given"),
    ("strike_policy_restricted", "standing set by the strike policy"),
    ("policy_changed", "policy changed"),
    ("known_media_hash_added", "known media hash added"),
    ("known_media_hash_changed", "known media hash changed"),
    ("known_media_hash_deleted", "known media hash deleted"),
    ("personal_data_viewed", "personal data viewed"),
    ("role_granted", "role granted"),
    ("role_revoked", "role revoked"),
]


def create_audit_triggers(apps, schema_editor):
    forward, _ = AUDIT_TRIGGERS.get(schema_editor.connection.vendor, ([], []))
    for statement in forward:
        # No parameters: the SQL holds a literal % (PL/pgSQL RAISE), not placeholders.
        schema_editor.execute(statement, params=None)


def drop_audit_triggers(apps, schema_editor):
    _, backward = AUDIT_TRIGGERS.get(schema_editor.connection.vendor, ([], []))
    for statement in backward:
        # No parameters: the SQL holds a literal % (PL/pgSQL RAISE), not placeholders.
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_periodic_tasks"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("actor_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                ("actor_name", models.CharField(blank=True, max_length=150)),
                ("action", models.CharField(choices=ACTION_CHOICES, db_index=True, max_length=64)),
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
                "verbose_name_plural": "audit entries",
                "ordering": ["-id"],
                "indexes": [
                    models.Index(fields=["target_type", "target_id"], name="core_audit_target")
                ],
            },
        ),
        migrations.RunPython(create_audit_triggers, drop_audit_triggers, elidable=False),
    ]
