"""Moderation's side of ``core.case_access``: which cases concern content, and the audit row."""

from __future__ import annotations

from apps.moderation.models import Case, Report
from core import audit


class CaseAccess:
    """Registered with ``core.case_access.set_provider`` in ``ModerationConfig.ready()``."""

    def cases_concerning(self, *, content_type: str, content_id: int, author_id: int) -> list[int]:
        about = Case.objects.filter(content_type=content_type, content_id=content_id)
        named = set(about.values_list("pk", flat=True))
        if content_type == "status":
            # A report names its statuses in a list; its case is about the first only.
            reports = Report.objects.filter(target_account_id=author_id)
            named |= {
                case_id
                for case_id, status_ids in reports.values_list("case_id", "status_ids")
                if content_id in (status_ids or [])
            }
        return sorted(named)

    def record_view(
        self, *, actor, content_type: str, content_id: int, case_ids: list[int], what: str
    ) -> None:
        cases = ", ".join(str(case_id) for case_id in case_ids)
        audit.personal_data_viewed(
            actor=actor,
            target_type=content_type,
            target_id=content_id,
            what=f"{what}, through case {cases}",
        )
