"""The moderation audit trail: one append-only row per decision, claim and personal-data view.

Every write goes through :func:`audit_record`; nothing else creates, and nothing at
all changes or deletes, :class:`~apps.moderation.models.AuditRecord` rows.
"""

from __future__ import annotations

from typing import Any

from apps.moderation.models import AuditRecord, Case


def audit_record(
    *,
    actor,
    action: str,
    target_type: str,
    target_id: int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditRecord:
    """Append one row: ``actor`` (a user, or None for the system) did ``action`` to the target."""
    return AuditRecord.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_name=getattr(actor, "username", "") or "",
        action=action,
        target_type=target_type,
        target_id=int(target_id),
        before=before or {},
        after=after or {},
        note=note or "",
    )


def audit_records_append(rows: list[dict[str, Any]]) -> list[AuditRecord]:
    """Append several rows in one INSERT (each dict takes :func:`audit_record`'s arguments)."""
    return AuditRecord.objects.bulk_create(
        [
            AuditRecord(
                actor_id=getattr(row.get("actor"), "pk", None),
                actor_name=getattr(row.get("actor"), "username", "") or "",
                action=row["action"],
                target_type=row["target_type"],
                target_id=int(row["target_id"]),
                before=row.get("before") or {},
                after=row.get("after") or {},
                note=row.get("note") or "",
            )
            for row in rows
        ]
    )


def case_snapshot(case: Case) -> dict[str, Any]:
    """The parts of a case an audit row records before and after a change."""
    return {
        "state": case.state,
        "hidden": case.hidden,
        "priority": round(case.priority, 4),
        "assigned_to": case.assigned_to_id,
        "claimed_until": case.claimed_until.isoformat() if case.claimed_until else None,
        "resolution": case.resolution,
        "report_count": case.report_count,
    }


def personal_data_viewed(*, actor, target_type: str, target_id: int, what: str) -> AuditRecord:
    """A moderator saw someone's personal data (a case page, an admin API account)."""
    return audit_record(
        actor=actor,
        action="personal_data_viewed",
        target_type=target_type,
        target_id=target_id,
        note=what,
    )
