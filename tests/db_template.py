"""A migrated SQLite template for test databases, built once per set of migrations.

Migrating from scratch costs minutes of CPU: dj-stripe's 2.10 migration alone
removes 514 fields, and Django re-renders model state for each. So the suite
migrates a template file once (keyed by the contents of every migration it
would apply), and each test run starts from a private copy of it, so parallel
runs never share a database. PostgreSQL runs (tests/integration) migrate as usual.

When migrations are only added, the new template starts from a copy of an older
one whose every migration is still on disk unchanged (or, on a new machine, from
the migrated baseline the repository ships: ``core.baseline``), and ``migrate`` applies just
the new ones: seconds instead of minutes. An edited or removed migration means a
build from scratch. A few recent templates are kept for other branches' runs.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from pathlib import Path

from core.baseline import migrate_into, migration_hashes, restore

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = ROOT / "var" / "test-db"
KEEP_TEMPLATES = 3


def migrations_fingerprint(hashes: dict[str, str] | None = None) -> str:
    """A hash of every migration file Django would apply, in a stable order."""
    hashes = migration_hashes() if hashes is None else hashes
    return hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()[:16]


def _reusable_template(hashes: dict[str, str]) -> Path | None:
    """The newest template whose migrations are all still on disk, unchanged."""
    candidates = sorted(
        CACHE_DIR.glob("template-*.sqlite3"), key=lambda path: path.stat().st_mtime, reverse=True
    )
    for template in candidates:
        try:
            applied = json.loads(template.with_suffix(".json").read_text())
        except (OSError, ValueError):
            continue
        if all(hashes.get(key) == digest for key, digest in applied.items()):
            return template
    return None


def _prune() -> None:
    templates = sorted(
        CACHE_DIR.glob("template-*.sqlite3"), key=lambda path: path.stat().st_mtime, reverse=True
    )
    for stale in templates[KEEP_TEMPLATES:]:
        stale.unlink(missing_ok=True)
        stale.with_suffix(".json").unlink(missing_ok=True)


def _build(template: Path, hashes: dict[str, str]) -> None:
    building = template.with_suffix(".building")
    building.unlink(missing_ok=True)
    start_from = _reusable_template(hashes)
    if start_from is not None:
        shutil.copyfile(start_from, building)
    else:
        restore(building, hashes=hashes)  # the shipped baseline, when still usable
    migrate_into(building)
    template.with_suffix(".json").write_text(json.dumps(hashes, sort_keys=True))
    building.replace(template)
    _prune()


def private_copy() -> Path:
    """A private copy of the migrated template for this test run (removed by the caller)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    hashes = migration_hashes()
    template = CACHE_DIR / f"template-{migrations_fingerprint(hashes)}.sqlite3"
    copy = CACHE_DIR / f"run-{os.getpid()}.sqlite3"
    with open(CACHE_DIR / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists() or not template.with_suffix(".json").exists():
            _build(template, hashes)
        os.utime(template)
        shutil.copyfile(template, copy)
    return copy
