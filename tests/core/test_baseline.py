"""The shipped, already-migrated SQLite database that makes a first ``migrate`` fast."""

import json
import sqlite3

from core import baseline


def test_the_shipped_baseline_is_usable():
    stale = baseline.stale_migrations()

    assert stale == [], (
        f"The shipped baseline contains migrations edited or removed since: {stale}. "
        "Run `make baseline` and commit platform/core/baseline/."
    )


def test_restoring_makes_every_contained_migration_applied(tmp_path):
    database = tmp_path / "agora.sqlite3"

    assert baseline.restore(database) is True

    with sqlite3.connect(database) as connection:
        applied = {
            f"{app}.{name}"
            for app, name in connection.execute("SELECT app, name FROM django_migrations")
        }
        (integrity,) = connection.execute("PRAGMA integrity_check").fetchone()
    assert applied == set(json.loads(baseline.MANIFEST.read_text()))
    assert integrity == "ok"
    assert not database.with_name(database.name + ".restoring").exists()


def test_a_database_with_tables_is_left_alone(tmp_path):
    database = tmp_path / "agora.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE mine (id integer)")

    assert baseline.restore(database) is False

    with sqlite3.connect(database) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
    assert tables == ["mine"]


def test_a_stale_baseline_is_not_restored(tmp_path):
    hashes = baseline.migration_hashes()
    some_migration = next(iter(json.loads(baseline.MANIFEST.read_text())))
    edited = {**hashes, some_migration: "edited since"}
    database = tmp_path / "agora.sqlite3"

    assert baseline.restore(database, hashes=edited) is False
    assert not database.exists()
