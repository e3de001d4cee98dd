"""A migrated SQLite template for test databases, built once per set of migrations.

Migrating from scratch costs minutes of CPU: dj-stripe's 2.10 migration alone
removes 514 fields, and Django re-renders model state for each. So the suite
migrates a template file once (keyed by the contents of every migration it
would apply), and each test run starts from a private copy of it, so parallel
runs never share a database. PostgreSQL runs (tests/integration) migrate as usual.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = ROOT / "var" / "test-db"


def migrations_fingerprint() -> str:
    """A hash of every migration file Django would apply, in a stable order."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    digest = hashlib.sha256()
    for key in sorted(loader.disk_migrations):
        module = sys.modules[loader.disk_migrations[key].__module__]
        digest.update(repr(key).encode())
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def template_path() -> Path:
    """The migrated template for the current migrations, building it if missing."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    template = CACHE_DIR / f"template-{migrations_fingerprint()}.sqlite3"
    with open(CACHE_DIR / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            for stale in CACHE_DIR.glob("template-*.sqlite3"):
                stale.unlink(missing_ok=True)
            building = template.with_suffix(".building")
            building.unlink(missing_ok=True)
            env = {**os.environ, "DATABASE_URL": f"sqlite:///{building}", "LOG_LEVEL": "WARNING"}
            env.pop("DJANGO_SETTINGS_MODULE", None)
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
                cwd=ROOT,
                env=env,
                check=True,
            )
            building.replace(template)
    return template


def private_copy() -> Path:
    """A copy of the template for this test run (removed by the caller)."""
    template = template_path()
    copy = CACHE_DIR / f"run-{os.getpid()}.sqlite3"
    shutil.copyfile(template, copy)
    return copy
