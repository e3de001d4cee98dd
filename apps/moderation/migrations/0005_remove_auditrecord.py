"""Moderation's audit table goes, its rows now in core's (``moderation.0004``).

Its triggers are dropped first (on PostgreSQL the function outlives the table), and
put back when the migration is unapplied, with the table.
"""

from django.db import migrations

TRIGGERS = {
    "postgresql": (
        [
            "DROP TRIGGER IF EXISTS moderation_auditrecord_append_only ON moderation_auditrecord",
            "DROP FUNCTION IF EXISTS moderation_auditrecord_refuse()",
        ],
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
    ),
    "sqlite": (
        ["DROP TRIGGER IF EXISTS moderation_auditrecord_no_update"],
        [
            """
            CREATE TRIGGER IF NOT EXISTS moderation_auditrecord_no_update
            BEFORE UPDATE ON moderation_auditrecord
            BEGIN SELECT RAISE(ABORT, 'moderation_auditrecord is append-only: UPDATE refused'); END
            """,
        ],
    ),
}


def drop_triggers(apps, schema_editor):
    forward, _ = TRIGGERS.get(schema_editor.connection.vendor, ([], []))
    for statement in forward:
        # No parameters: the SQL holds a literal % (PL/pgSQL RAISE), not placeholders.
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor):
    _, backward = TRIGGERS.get(schema_editor.connection.vendor, ([], []))
    for statement in backward:
        # No parameters: the SQL holds a literal % (PL/pgSQL RAISE), not placeholders.
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0004_audit_moved_to_core"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers, elidable=False),
        migrations.DeleteModel(name="AuditRecord"),
    ]
