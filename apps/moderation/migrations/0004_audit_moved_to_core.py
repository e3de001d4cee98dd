"""The audit trail moves to core (``core.AuditEntry``); strike expiry gets state of its own.

Moderation's ``AuditRecord`` rows are copied, oldest first so the order stays, into
core's table with their action mapped to ``core.models.AuditAction`` (the enum took
moderation's action names, so the mapping is by name; a name the enum does not know
is copied as it was and logged). The table itself is dropped by the next migration.

Strike expiry used to decide from the audit rows which restrictions the strike
policy had set (the account's last row with a restriction was the policy's); that
state is now ``PolicyRestriction``, filled here from the same rows.
"""

import logging

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

logger = logging.getLogger(__name__)

BATCH = 1000
POLICY_ACTION = "strike_policy_restricted"


def copy_audit_rows(apps, schema_editor):
    AuditRecord = apps.get_model("moderation", "AuditRecord")
    AuditEntry = apps.get_model("core", "AuditEntry")
    known = {value for value, _ in AuditEntry._meta.get_field("action").choices}
    rows = AuditRecord.objects.order_by("id")
    last_id = 0
    while True:
        batch = list(rows.filter(id__gt=last_id)[:BATCH])
        if not batch:
            break
        unknown = {row.action for row in batch} - known
        if unknown:
            logger.warning("audit actions copied without an enum member: %s", sorted(unknown))
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    actor_id=row.actor_id,
                    actor_name=row.actor_name,
                    action=row.action,
                    target_type=row.target_type,
                    target_id=row.target_id,
                    before=row.before,
                    after=row.after,
                    note=row.note,
                    created_at=row.created_at,
                )
                for row in batch
            ]
        )
        last_id = batch[-1].id


def copy_audit_rows_back(apps, schema_editor):
    """Unapplying: the rows moderation's trail would have held go back to its table."""
    AuditRecord = apps.get_model("moderation", "AuditRecord")
    AuditEntry = apps.get_model("core", "AuditEntry")
    rows = AuditEntry.objects.exclude(action__in=["role_granted", "role_revoked"]).order_by("id")
    AuditRecord.objects.bulk_create(
        [
            AuditRecord(
                actor_id=row.actor_id,
                actor_name=row.actor_name,
                action=row.action,
                target_type=row.target_type,
                target_id=row.target_id,
                before=row.before,
                after=row.after,
                note=row.note,
                created_at=row.created_at,
            )
            for row in rows.iterator()
        ],
        batch_size=BATCH,
    )


def policy_restrictions(rows) -> dict[int, tuple[str, object]]:
    """Account id -> (restriction, when) the strike policy set and nobody changed since.

    ``rows`` are an account's audit rows, oldest first, as (account id, action, after,
    created at): the account's last row naming a restriction decides, as strike
    expiry decided from the trail before.
    """
    last = {}
    for account_id, action, after, created_at in rows:
        if isinstance(after, dict) and "restriction" in after:
            last[account_id] = (action, str(after["restriction"]), created_at)
    return {
        account_id: (restriction, created_at)
        for account_id, (action, restriction, created_at) in last.items()
        if action == POLICY_ACTION and restriction != "none"
    }


def policy_restrictions_from_audit_rows(apps, schema_editor):
    AuditRecord = apps.get_model("moderation", "AuditRecord")
    PolicyRestriction = apps.get_model("moderation", "PolicyRestriction")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    policy = policy_restrictions(
        AuditRecord.objects.filter(target_type="account")
        .order_by("id")
        .values_list("target_id", "action", "after", "created_at")
        .iterator()
    )
    existing = set(User.objects.filter(pk__in=list(policy)).values_list("pk", flat=True))
    PolicyRestriction.objects.bulk_create(
        [
            PolicyRestriction(account_id=account_id, restriction=restriction, set_at=created_at)
            for account_id, (restriction, created_at) in sorted(policy.items())
            if account_id in existing
        ],
        batch_size=BATCH,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_audit_entry"),
        ("moderation", "0003_pending_sweep_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PolicyRestriction",
            fields=[
                (
                    "account",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("restriction", models.CharField(max_length=16)),
                ("set_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.RunPython(copy_audit_rows, copy_audit_rows_back),
        migrations.RunPython(policy_restrictions_from_audit_rows, migrations.RunPython.noop),
    ]
