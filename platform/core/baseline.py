"""A shipped, already-migrated SQLite database, so a first ``migrate`` takes seconds.

Migrating an empty database from scratch costs minutes of CPU (dj-stripe's 2.10
migration alone removes 514 fields, and Django re-renders model state for each).
So the repository ships the result: ``core/baseline/sqlite.sql.gz``, the SQL dump
of a freshly migrated SQLite database (schema, ``django_migrations`` and the rows
the data migrations and ``post_migrate`` create), with ``sqlite.json`` naming every
migration it contains and the hash of its file.

:func:`restore` loads it into an empty SQLite database when every migration it
contains is still on disk unchanged; ``migrate`` then applies only the migrations
added since. An edited or removed migration makes the baseline unusable, and
``migrate`` runs from scratch as before (slow, never wrong). ``make baseline``
(``manage.py baseline --write``) regenerates it; a test fails when it is unusable.

``make run`` restores it before migrating (``manage.py baseline --restore``), and
the test suite's template database (``tests/db_template.py``) starts from it.
"""

from __future__ import annotations

import gzip
import hashlib
import inspect
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

BASELINE_DIR = Path(__file__).resolve().parent / "baseline"
DUMP = BASELINE_DIR / "sqlite.sql.gz"
MANIFEST = BASELINE_DIR / "sqlite.json"
ROOT = Path(__file__).resolve().parents[2]


def migration_hashes() -> dict[str, str]:
    """``"app_label.migration_name"`` -> hash of its file, for every migration on disk."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    hashes = {}
    for key in sorted(loader.disk_migrations):
        module = sys.modules[loader.disk_migrations[key].__module__]
        source = Path(inspect.getfile(module))  # a TypeError for a module without a file
        hashes[".".join(key)] = hashlib.sha256(source.read_bytes()).hexdigest()
    return hashes


def stale_migrations(hashes: dict[str, str] | None = None) -> list[str]:
    """The migrations the baseline contains that are no longer on disk as they were.

    Empty when the baseline is usable. Raises FileNotFoundError without a baseline.
    """
    hashes = migration_hashes() if hashes is None else hashes
    contained = json.loads(MANIFEST.read_text())
    return sorted(key for key, digest in contained.items() if hashes.get(key) != digest)


def _has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0


def restore(database: Path, *, hashes: dict[str, str] | None = None) -> bool:
    """Load the baseline into ``database``, an SQLite file that is missing or empty.

    Returns False, changing nothing, when the database already has tables or the
    baseline is missing or stale; ``migrate`` then does all the work.
    """
    if _has_tables(database) or not (DUMP.exists() and MANIFEST.exists()):
        return False
    if stale_migrations(hashes):
        return False
    database.parent.mkdir(parents=True, exist_ok=True)
    script = gzip.decompress(DUMP.read_bytes()).decode()
    partial = database.with_name(database.name + ".restoring")
    partial.unlink(missing_ok=True)
    connection = sqlite3.connect(partial)
    try:
        connection.executescript(script)
        connection.commit()
    finally:
        connection.close()
    # Whole or not at all: a crash mid-restore leaves no half-made database behind.
    partial.replace(database)
    return True


def migrate_into(database: Path) -> None:
    """Run ``manage.py migrate`` into the SQLite file ``database`` in a child process."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "WARNING"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.setdefault("DEBUG", "true")
    subprocess.run(  # noqa: S603 - our own manage.py, with a fixed argument list
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def write() -> dict[str, str]:
    """Migrate a new SQLite database from scratch and ship its dump as the baseline.

    Returns the migrations it contains (name -> file hash).
    """
    hashes = migration_hashes()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "baseline.sqlite3"
        migrate_into(database)
        connection = sqlite3.connect(database)
        try:
            script = "\n".join(connection.iterdump()) + "\n"
        finally:
            connection.close()
    BASELINE_DIR.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same dump gives the same bytes, so an unchanged baseline is no diff.
    DUMP.write_bytes(gzip.compress(script.encode(), compresslevel=9, mtime=0))
    MANIFEST.write_text(json.dumps(hashes, indent=0, sort_keys=True) + "\n")
    return hashes
