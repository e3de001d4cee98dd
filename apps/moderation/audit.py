"""What moderation's audit rows record about a case; the rows themselves are core's.

Every audited event has its function in :mod:`core.audit` (``case_decided``,
``report_filed``, ``personal_data_viewed``, ...), which writes the append-only
:class:`core.models.AuditEntry`; this module only shapes a case into the
before/after snapshot those functions take.
"""

from __future__ import annotations

from typing import Any

from apps.moderation.models import Case


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
