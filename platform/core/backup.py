"""Backups: the database and the media storage into a folder, and back.

A backup folder holds::

    manifest.json     what is in it: the database file's size and sha256, the row count
                      of every table at the moment of the dump, each media file's path,
                      size and sha256 (written last: a folder without it is no backup)
    database.dump     PostgreSQL: ``pg_dump --format=custom``
    database.sqlite3  SQLite: a copy made with SQLite's online backup API
    media/            every file of the default storage (local folder or S3 bucket),
                      copied through Django's storage API

PostgreSQL's row counts are taken in the snapshot ``pg_dump`` dumps (an exported
snapshot), so they describe exactly what the dump holds while the platform keeps
writing. A restore checks every checksum before it writes anything, restores into an
empty database (a non-empty one only when forced), and then compares the restored
tables' row counts and re-reads every restored media file against the manifest.

Errors are :class:`BackupError`, whose message says what to do; the management
commands (``agora_backup``, ``agora_restore``) show them as command errors.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import posixpath
import shutil
import sqlite3
import subprocess
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import environ
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import connections

from core.health import PROBE_PREFIX

FORMAT = "agora-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
POSTGRES_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA_FOLDER = "media"
CHUNK = 1024 * 1024
CONNECT_TIMEOUT_SECONDS = 10
# libpq's environment variables for the connection options Django may carry.
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
}

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Database:
    """Where a database is: a Django settings dict reduced to what a dump needs."""

    vendor: str  # "postgresql" or "sqlite"
    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_settings(cls, settings_dict: dict[str, Any]) -> Database:
        engine = settings_dict["ENGINE"]
        if engine.endswith("postgresql"):
            vendor = "postgresql"
        elif engine.endswith("sqlite3"):
            vendor = "sqlite"
        else:
            raise BackupError(f"Backups support PostgreSQL and SQLite, not {engine}.")
        options = tuple(
            (key, str(value))
            for key, value in (settings_dict.get("OPTIONS") or {}).items()
            if key in _LIBPQ_OPTIONS
        )
        return cls(
            vendor=vendor,
            name=str(settings_dict["NAME"]),
            host=settings_dict.get("HOST") or "",
            port=str(settings_dict.get("PORT") or ""),
            user=settings_dict.get("USER") or "",
            password=settings_dict.get("PASSWORD") or "",
            options=options,
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        """``postgres://user:password@host:5432/name`` or ``sqlite:////path/to/file``."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # an unknown scheme: refused just below
                config = environ.Env.db_url_config(url) if "://" in url else {}
        except (KeyError, ValueError):
            config = {}
        if not config.get("ENGINE"):
            raise BackupError(f"Not a database URL: {url!r} (postgres://... or sqlite:///...).")
        return cls.from_settings(config)

    @classmethod
    def configured(cls, alias: str = "default") -> Database:
        return cls.from_settings(connections[alias].settings_dict)

    def __str__(self) -> str:
        if self.vendor == "sqlite":
            return f"SQLite {self.name}"
        return f"PostgreSQL {self.name} at {self.host or 'localhost'}:{self.port or 5432}"

    def libpq_environment(self) -> dict[str, str]:
        """The environment for pg_dump and pg_restore (no password on a command line)."""
        values = {
            "PGHOST": self.host,
            "PGPORT": self.port,
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.name,
            "PGCONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS),
        }
        values.update({_LIBPQ_OPTIONS[key]: value for key, value in self.options})
        return {**os.environ, **{key: value for key, value in values.items() if value}}

    def connect(self):
        """A psycopg connection; :class:`BackupError` naming the database if unreachable."""
        import psycopg

        try:
            return psycopg.connect(
                host=self.host or None,
                port=self.port or None,
                user=self.user or None,
                password=self.password or None,
                dbname=self.name,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                **dict(self.options),
            )
        except psycopg.Error as error:
            raise BackupError(f"Cannot reach {self}: {error}".strip()) from None


# Files ----------------------------------------------------------------------------------


def _sha256_of(handle, *, copy_to=None) -> tuple[int, str]:
    """Size and sha256 of what ``handle`` reads, written on to ``copy_to`` if given."""
    digest = hashlib.sha256()
    size = 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if copy_to is not None:
            copy_to.write(chunk)
    return size, digest.hexdigest()


def file_sha256(path: Path) -> tuple[int, str]:
    with path.open("rb") as handle:
        return _sha256_of(handle)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover


def _check_backup_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise BackupError(f"{folder} is a file, not a folder.")
    if folder.is_dir() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: back up into a new or empty folder.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".writable"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise BackupError(f"Cannot write to {folder}: {error.strerror or error}.") from None


def read_manifest(folder: Path) -> dict[str, Any]:
    """The backup's manifest; :class:`BackupError` if the folder holds no complete backup."""
    if not folder.is_dir():
        raise BackupError(f"{folder} is not a folder.")
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{folder} has no {MANIFEST}: it is not an Agora backup, or its backup was cut short."
        )
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{path} cannot be read: {error}.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not an Agora backup manifest.")
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is of backup format version {manifest.get('version')}; "
            f"this Agora reads version {FORMAT_VERSION}."
        )
    return manifest


# Database ------------------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH: install PostgreSQL's client programs "
            "(Debian: postgresql-client) of the server's major version or newer."
        )
    return found


def _run(command: list[str], *, database: Database, what: str) -> None:
    result = subprocess.run(  # noqa: S603 (a fixed program and arguments, no shell)
        command,
        env=database.libpq_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise BackupError(f"{what} failed (exit {result.returncode}): {detail}")


def _postgres_row_counts(cursor) -> dict[str, int]:
    from psycopg import sql

    cursor.execute(
        "SELECT schemaname, tablename FROM pg_tables"
        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        " ORDER BY schemaname, tablename"
    )
    counts = {}
    for schema, table in cursor.fetchall():
        cursor.execute(
            sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
        )
        counts[f"{schema}.{table}"] = cursor.fetchone()[0]
    return counts


def _postgres_relation_count(cursor) -> int:
    cursor.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
        " AND n.nspname NOT LIKE 'pg\\_toast%%' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
    )
    return cursor.fetchone()[0]


def postgres_row_counts(database: Database) -> dict[str, int]:
    """Rows in each table (``schema.table``) of a PostgreSQL database, read now."""
    with contextlib.closing(database.connect()) as connection, connection.cursor() as cursor:
        return _postgres_row_counts(cursor)


def _postgres_dump(database: Database, folder: Path, progress: Progress) -> dict[str, Any]:
    import psycopg

    pg_dump = _tool("pg_dump")
    target = folder / POSTGRES_DUMP
    connection = database.connect()
    try:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        with connection.cursor() as cursor:
            # The dump and the counts read one snapshot, held until both are done.
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            progress(f"Database: counting rows of {database}")
            counts = _postgres_row_counts(cursor)
            progress(f"Database: pg_dump of {len(counts)} tables ({sum(counts.values())} rows)")
            _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
                database=database,
                what="pg_dump",
            )
        connection.rollback()
    finally:
        connection.close()
    size, sha256 = file_sha256(target)
    progress(f"Database: {POSTGRES_DUMP}, {_human(size)}")
    return {"file": POSTGRES_DUMP, "size": size, "sha256": sha256, "row_counts": counts}


def _sqlite_row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    return {
        table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
        for table in tables
    }


def sqlite_row_counts(path: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return _sqlite_row_counts(connection)


def _sqlite_copy(alias: str, folder: Path, progress: Progress) -> dict[str, Any]:
    """Copy through the live connection with SQLite's backup API (safe while in use)."""
    target = folder / SQLITE_COPY
    connection = connections[alias]
    connection.ensure_connection()
    progress(f"Database: copying {Database.configured(alias)}")
    with contextlib.closing(sqlite3.connect(target)) as copy:
        connection.connection.backup(copy)
        counts = _sqlite_row_counts(copy)
    size, sha256 = file_sha256(target)
    progress(f"Database: {SQLITE_COPY}, {_human(size)}, {len(counts)} tables")
    return {"file": SQLITE_COPY, "size": size, "sha256": sha256, "row_counts": counts}


# Media ---------------------------------------------------------------------------------


def storage_files(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file in ``storage`` under ``folder``, in a stable order; none if it is absent."""
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        if not name.startswith(PROBE_PREFIX):  # /readyz's short-lived probe files
            yield posixpath.join(folder, name) if folder else name
    for name in sorted(directories):
        yield from storage_files(storage, posixpath.join(folder, name) if folder else name)


def _safe_media_path(name: object) -> str:
    """A manifest path that stays inside the media folder (a tampered one cannot escape)."""
    if not isinstance(name, str) or not name:
        raise BackupError(f"The manifest lists a media file without a usable path: {name!r}.")
    parts = name.split("/")
    if name.startswith("/") or any(part in ("", ".", "..") for part in parts) or "\\" in name:
        raise BackupError(f"The manifest lists a media path outside the media folder: {name!r}.")
    return name


def _media_copy(storage: Storage, folder: Path, progress: Progress) -> list[dict[str, Any]]:
    root = folder / MEDIA_FOLDER
    entries = []
    total = 0
    progress(f"Media: copying from {type(storage).__name__}")
    for count, name in enumerate(storage_files(storage), start=1):
        target = root.joinpath(*_safe_media_path(name).split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, target.open("wb") as copy:
            size, sha256 = _sha256_of(source, copy_to=copy)
        entries.append({"path": name, "size": size, "sha256": sha256})
        total += size
        if count % 100 == 0:
            progress(f"Media: {count} files, {_human(total)}")
    progress(f"Media: {len(entries)} files, {_human(total)}")
    return entries


# Backup --------------------------------------------------------------------------------


def backup(
    folder: Path,
    *,
    database: Database | None = None,
    alias: str = "default",
    progress: Progress = lambda line: None,
) -> dict[str, Any]:
    """Back up ``database`` (default: the configured one) and the default storage's media
    into ``folder``, which must be new or empty. Returns the manifest it wrote.

    Raises :class:`BackupError` for a folder that is not new and empty or not writable,
    an unreachable database, a missing ``pg_dump`` or a failed dump; the folder is then
    left without a manifest, so no restore takes it for a backup.
    """
    database = database or Database.configured(alias)
    if database.vendor == "sqlite" and database != Database.configured(alias):
        raise BackupError("A SQLite database is backed up through its configured connection.")
    if database.vendor == "postgresql":
        _tool("pg_dump")  # before anything is written
        database.connect().close()
    _check_backup_folder(folder)
    if database.vendor == "postgresql":
        dumped = _postgres_dump(database, folder, progress)
    else:
        dumped = _sqlite_copy(alias, folder, progress)
    storage = storages["default"]
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": {"vendor": database.vendor, **dumped},
        "media": {
            "storage": f"{type(storage).__module__}.{type(storage).__qualname__}",
            "files": _media_copy(storage, folder, progress),
        },
    }
    partial = folder / f"{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    partial.rename(folder / MANIFEST)
    progress(f"Backup complete: {folder}")
    return manifest


# Restore -------------------------------------------------------------------------------


def verify(folder: Path, manifest: dict[str, Any], progress: Progress) -> None:
    """Every file the manifest lists is in ``folder`` with its size and sha256."""
    database = manifest["database"]
    wrong = []
    path = folder / database["file"]
    if not path.is_file() or file_sha256(path) != (database["size"], database["sha256"]):
        wrong.append(database["file"])
    for entry in manifest["media"]["files"]:
        name = _safe_media_path(entry.get("path"))
        path = folder.joinpath(MEDIA_FOLDER, *name.split("/"))
        if not path.is_file() or file_sha256(path) != (entry.get("size"), entry.get("sha256")):
            wrong.append(f"{MEDIA_FOLDER}/{name}")
    if wrong:
        shown = ", ".join(wrong[:10]) + (f" and {len(wrong) - 10} more" if len(wrong) > 10 else "")
        raise BackupError(
            f"The backup in {folder} is damaged: missing or not matching its manifest: {shown}."
        )
    progress(f"Backup verified: the database and {len(manifest['media']['files'])} media files")


def _compare_counts(expected: dict[str, int], restored: dict[str, int]) -> None:
    differ = {
        table: (expected.get(table), restored.get(table))
        for table in sorted(set(expected) | set(restored))
        if expected.get(table) != restored.get(table)
    }
    if differ:
        shown = ", ".join(
            f"{table}: {want} in the backup, {got} restored"
            for table, (want, got) in list(differ.items())[:10]
        )
        raise BackupError(f"The restored database differs from the backup: {shown}.")


def database_is_empty(database: Database) -> bool:
    """Whether ``database`` holds no table, view or sequence (reaching it, or raising)."""
    if database.vendor == "sqlite":
        target = Path(database.name)
        try:
            return not (target.is_file() and sqlite_row_counts(target))
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{target} is not a SQLite database ({error}).") from None
    with contextlib.closing(database.connect()) as connection, connection.cursor() as cursor:
        return _postgres_relation_count(cursor) == 0


def _postgres_restore(
    source: Path, database: Database, *, replace: bool, expected: dict[str, int], progress: Progress
) -> None:
    command = [
        _tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
    ]
    if replace:
        command += ["--clean", "--if-exists"]
    progress(f"Database: pg_restore into {database}")
    _run([*command, f"--dbname={database.name}", str(source)], database=database, what="pg_restore")
    _compare_counts(expected, postgres_row_counts(database))


def _sqlite_restore(
    source: Path, database: Database, *, replace: bool, expected: dict[str, int], progress: Progress
) -> None:
    """The backup API replaces the whole file: ``replace`` needs nothing more."""
    target = Path(database.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    progress(f"Database: copying into {database}")
    with (
        contextlib.closing(sqlite3.connect(source)) as copy,
        contextlib.closing(sqlite3.connect(target)) as restored,
    ):
        copy.backup(restored)
    _compare_counts(expected, sqlite_row_counts(target))


def _refuse_non_empty_storage(storage: Storage) -> None:
    present = next(storage_files(storage), None)
    if present is not None:
        raise BackupError(
            f"The media storage is not empty (it has {present}): restore into an empty "
            "storage, or pass --force to overwrite the files the backup holds."
        )


def _media_restore(
    folder: Path, files: list[dict[str, Any]], storage: Storage, progress: Progress
) -> None:
    total = 0
    for count, entry in enumerate(files, start=1):
        name = entry["path"]
        if storage.exists(name):
            storage.delete(name)
        with folder.joinpath(MEDIA_FOLDER, *name.split("/")).open("rb") as handle:
            saved = storage.save(name, File(handle, name=posixpath.basename(name)))
        if saved != name:
            raise BackupError(f"The storage saved {name} as {saved}.")
        with storage.open(name, "rb") as restored:
            if _sha256_of(restored) != (entry["size"], entry["sha256"]):
                raise BackupError(f"{name} reads back differently from the storage.")
        total += entry["size"]
        if count % 100 == 0:
            progress(f"Media: {count}/{len(files)} files, {_human(total)}")
    progress(f"Media: {len(files)} files restored and read back, {_human(total)}")


def restore(
    folder: Path,
    *,
    database: Database | None = None,
    force: bool = False,
    progress: Progress = lambda line: None,
) -> dict[str, Any]:
    """Restore the backup in ``folder`` into ``database`` (default: the configured one)
    and the default storage. Returns the backup's manifest.

    Every file is checked against the manifest first. The database must be empty and
    the storage hold no file unless ``force``: then the backup's tables replace those of
    the same name (``pg_restore --clean``) or the SQLite file is replaced, and media
    files of the same path are overwritten. Afterwards each table's row count must equal
    the backup's and each media file must read back with its checksum.

    Raises :class:`BackupError` for anything that stops it: no backup in ``folder``, a
    damaged one, another database kind, a missing ``pg_restore``, an unreachable or
    non-empty database, a non-empty storage, a failed restore or a difference found after.
    """
    manifest = read_manifest(folder)
    database = database or Database.configured()
    vendor = manifest["database"]["vendor"]
    if vendor != database.vendor:
        raise BackupError(f"This is a backup of a {vendor} database; {database} is not one.")
    if vendor == "postgresql":
        _tool("pg_restore")
    # Refusals come before the (long) verification and before anything is written.
    replace = not database_is_empty(database)
    if replace and not force:
        raise BackupError(
            f"{database} is not empty: restore into a new, empty database, or pass --force "
            "to replace the tables the backup holds."
        )
    storage = storages["default"]
    if not force:
        _refuse_non_empty_storage(storage)
    verify(folder, manifest, progress)
    restore_database = _postgres_restore if vendor == "postgresql" else _sqlite_restore
    restore_database(
        folder / manifest["database"]["file"],
        database,
        replace=replace,
        expected=manifest["database"]["row_counts"],
        progress=progress,
    )
    progress(
        f"Database: {len(manifest['database']['row_counts'])} tables restored, row counts match"
    )
    _media_restore(folder, manifest["media"]["files"], storage, progress)
    progress(f"Restore complete from {folder}")
    return manifest
