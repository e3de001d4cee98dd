"""``manage.py moderation_export_decisions FILE``: moderators' decisions on posts, as training lines.

Every resolved case about a status in a text category (offensive, spam, scam, pii) becomes
one JSON line in the corpus's format: the text as the pipeline assessed it, and the label a
person gave it (``approve`` = clean, any other action = the case's category). Add the file
to ``manage.py moderation_train`` to teach the model what the review queue learned, above
all where it was unsure.

Personal-data cases are left out unless ``--include-pii`` (their text is the personal data);
each one exported is written to the audit log. Cases whose post was never assessed (no
text snapshot) are skipped and counted. Nothing is written when an argument is wrong.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.moderation.models import Assessment, Case, CaseAction
from apps.moderation.textmodel import CATEGORIES
from core import audit


def _since(value: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since {value!r}: expected a date as YYYY-MM-DD") from None
    return timezone.make_aware(datetime.combine(day, time.min))


class Command(BaseCommand):
    help = "Write moderators' decisions on posts as labelled JSON lines for moderation_train."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="Output JSON-lines file, or - for standard output.")
        parser.add_argument(
            "--since", help="Only cases resolved on or after this day (YYYY-MM-DD)."
        )
        parser.add_argument(
            "--include-pii",
            action="store_true",
            help="Also export personal-data cases (audited, one entry per case).",
        )

    def handle(self, *args, file: str, since: str | None, include_pii: bool, **options) -> None:
        categories = [c for c in CATEGORIES if include_pii or c != "pii"]
        cases = Case.objects.filter(
            state=Case.State.RESOLVED, content_type="status", category__in=categories
        ).exclude(resolution="")
        if since:
            cases = cases.filter(resolved_at__gte=_since(since))
        decided = list(cases.order_by("pk").only("pk", "content_id", "category", "resolution"))
        texts = self._texts([case.content_id for case in decided])
        lines: list[str] = []
        skipped, approved = 0, 0
        exported_pii: list[int] = []
        for case in decided:
            snapshot = texts.get(case.content_id)
            if snapshot is None:
                skipped += 1
                continue
            text, language = snapshot
            upheld = case.resolution != CaseAction.APPROVE
            approved += not upheld
            lines.append(
                json.dumps(
                    {
                        "id": f"decision-{case.pk}",
                        "text": text,
                        "labels": [case.category] if upheld else [],
                        "lang": language,
                        "kind": "harmful" if upheld else "decoy",
                        "subtype": f"moderator-{case.resolution}",
                    },
                    ensure_ascii=False,
                )
            )
            if case.category == "pii":
                exported_pii.append(case.pk)
        self._write(file, lines)
        if exported_pii:
            audit.personal_data_viewed_many(
                actor=None,
                target_type="case",
                views=[(pk, "post text exported for model training") for pk in exported_pii],
            )
        self.stderr.write(
            f"wrote {len(lines)} line(s): {len(lines) - approved} upheld, {approved} approved"
            f"; {skipped} case(s) skipped (their post was never assessed)"
            + ("" if include_pii else "; personal-data cases left out (--include-pii)")
        )

    @staticmethod
    def _texts(status_ids: list[int]) -> dict[int, tuple[str, str]]:
        """The text (spoiler and body) each status had when last assessed, and its language."""
        found: dict[int, tuple[str, str]] = {}
        rows = (
            Assessment.objects.filter(content_type="status", content_id__in=status_ids)
            .order_by("content_id", "-pk")
            .values_list("content_id", "evidence")
        )
        for content_id, evidence in rows:
            if content_id in found or not isinstance(evidence, dict):
                continue
            parts = (evidence.get("spoiler_text") or "", evidence.get("text") or "")
            text = "\n".join(part for part in parts if part)
            if text.strip():
                found[content_id] = (text, evidence.get("language") or "")
        return found

    def _write(self, file: str, lines: list[str]) -> None:
        body = "".join(line + "\n" for line in lines)
        if file == "-":
            self.stdout.write(body, ending="")
            return
        try:
            with open(file, "w", encoding="utf-8") as handle:
                handle.write(body)
        except OSError as error:
            raise CommandError(f"{file}: cannot write ({error.strerror})") from None
