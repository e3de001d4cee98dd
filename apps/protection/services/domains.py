"""Writes of the domain blocklist: by hand (the admin) or imported from a list.

Every change is audited (``core.audit.blocked_domain_*``), imports one row per
domain added or changed, so the trail says who put a domain on the list and when.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from apps.protection.links.lists import BadLine, Entry
from apps.protection.models import BlockedDomain
from core import audit

IMPORT_BATCH = 500


@transaction.atomic
def blocked_domain_save(*, actor, entry: BlockedDomain) -> BlockedDomain:
    """Validate and store ``entry`` (new, or changed), auditing what changed.

    Raises ValidationError (a malformed or already listed domain)."""
    before = None
    if entry.pk is not None:
        stored = BlockedDomain.objects.select_for_update().filter(pk=entry.pk).first()
        before = stored.snapshot() if stored is not None else None
    entry.full_clean()
    entry.save()
    if before != entry.snapshot():
        audit.blocked_domain_saved(
            actor=actor, domain_id=entry.pk, before=before, after=entry.snapshot()
        )
    return entry


@transaction.atomic
def blocked_domain_delete(*, actor, entry: BlockedDomain) -> None:
    """Take ``entry`` off the blocklist, auditing what it was."""
    domain_id, before = entry.pk, entry.snapshot()
    entry.delete()
    audit.blocked_domain_deleted(actor=actor, domain_id=domain_id, before=before)


@dataclass
class ImportSummary:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.added + self.changed + self.unchanged


def blocked_domains_import(
    *,
    actor,
    entries: Iterable[Entry | BadLine],
    severity: str,
    source: str,
    progress: Callable[[ImportSummary], None] | None = None,
) -> ImportSummary:
    """Add the listed domains to the blocklist, or bring listed ones to the list's terms.

    An entry's own severity (a CSV column) wins over ``severity``; its reason over
    none. A domain already listed takes the new severity, reason (when given) and
    ``source``. Each batch of :data:`IMPORT_BATCH` is one transaction, so an import
    that stops keeps the batches before it (running it again is harmless); ``progress``
    is called after each."""
    summary = ImportSummary()
    batch: dict[str, Entry] = {}

    def flush() -> None:
        if batch:
            _import_batch(
                actor=actor, batch=batch, severity=severity, source=source, summary=summary
            )
            batch.clear()
            if progress is not None:
                progress(summary)

    for item in entries:
        if isinstance(item, BadLine):
            summary.bad_lines.append(item)
            continue
        batch[item.domain] = item
        if len(batch) >= IMPORT_BATCH:
            flush()
    flush()
    return summary


@transaction.atomic
def _import_batch(
    *, actor, batch: dict[str, Entry], severity: str, source: str, summary: ImportSummary
) -> None:
    existing = {
        entry.domain: entry
        for entry in BlockedDomain.objects.select_for_update().filter(domain__in=list(batch))
    }
    new: list[BlockedDomain] = []
    changed: list[BlockedDomain] = []
    changes: list[tuple[int, dict | None, dict]] = []
    for domain, item in batch.items():
        wanted_severity = item.severity or severity
        stored = existing.get(domain)
        if stored is None:
            new.append(
                BlockedDomain(
                    domain=domain, severity=wanted_severity, reason=item.reason, source=source
                )
            )
            continue
        before = stored.snapshot()
        stored.severity = wanted_severity
        stored.reason = item.reason or stored.reason
        stored.source = source
        if stored.snapshot() == before:
            summary.unchanged += 1
            continue
        stored.updated_at = timezone.now()
        changed.append(stored)
        changes.append((stored.pk, before, stored.snapshot()))
    if new:
        BlockedDomain.objects.bulk_create(new)
        # Not every database returns the new rows' ids from a bulk insert: read them back.
        ids = dict(
            BlockedDomain.objects.filter(domain__in=[e.domain for e in new]).values_list(
                "domain", "pk"
            )
        )
        changes.extend((ids[e.domain], None, e.snapshot()) for e in new)
    if changed:
        BlockedDomain.objects.bulk_update(changed, ["severity", "reason", "source", "updated_at"])
    summary.added += len(new)
    summary.changed += len(changed)
    audit.blocked_domains_saved_many(
        actor=actor, changes=changes, note=f"import ({source})" if source else "import"
    )
