"""``manage.py agora_backup`` and ``agora_restore`` on the embedded defaults (SQLite and
local media), and every refusal. The PostgreSQL round trip (pg_dump, pg_restore into a
scratch database) is tests/integration/test_backup_restore.py.
"""

import hashlib
import json
import stat
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection

from core import backup
from tests.accounts.factories import UserFactory

UNREACHABLE = "postgres://agora@127.0.0.1:1/agora"


def run(command: str, *args: str, **options) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue()


def use_media(settings, folder: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }


def media_checksums(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def live_row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return {
            table: cursor.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in connection.introspection.table_names(cursor)
        }


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Local media with files in nested folders, one with a non-ASCII name."""
    folder = tmp_path / "media"
    use_media(settings, folder)
    storage = storages["default"]
    storage.save("avatars/ab/cd/one.png", ContentFile(b"\x89PNG one"))
    storage.save("media/2026/été.mp4", ContentFile(b"video " * 1000))
    storage.save("top.txt", ContentFile(b"top"))
    return folder


@pytest.fixture
def fake_pg_tools(tmp_path, monkeypatch) -> Path:
    """pg_dump and pg_restore that fail if ever run: the refusals come before them."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("pg_dump", "pg_restore"):
        tool = folder / name
        tool.write_text("#!/bin/sh\necho should not run >&2\nexit 3\n")
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(folder))
    return folder


def sqlite_only() -> None:
    """These tests back up the test database as the embedded default has it, SQLite; on
    PostgreSQL (the unit suite's second run in CI) pg_dump's round trip is the integration
    suite's (tests/integration/test_backup_restore.py)."""
    if connection.vendor != "sqlite":
        pytest.skip("backs up the SQLite test database; PostgreSQL's is an integration test")


@pytest.fixture
def sqlite_backup(transactional_db, media, tmp_path) -> Path:
    sqlite_only()
    UserFactory.create_batch(3)
    folder = tmp_path / "backup"
    run("agora_backup", str(folder))
    return folder


@pytest.mark.django_db(transaction=True)
def test_a_sqlite_backup_restores_into_a_new_file_with_every_row_and_file(
    media, settings, tmp_path
):
    sqlite_only()
    # given accounts in the database and files in the media storage
    UserFactory.create_batch(3)
    expected_rows = live_row_counts()
    expected_media = media_checksums(media)

    # when it is backed up
    output = run("agora_backup", str(tmp_path / "backup"))

    # then the manifest lists every table with its rows and every file with its checksum
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == "sqlite"
    assert manifest["database"]["row_counts"] == expected_rows
    assert manifest["database"]["row_counts"]["accounts_user"] == 3
    assert {entry["path"]: entry["sha256"] for entry in manifest["media"]["files"]} == (
        expected_media
    )
    assert "Media: 3 files" in output
    assert "Backup complete" in output

    # when it is restored into a new SQLite file and an empty storage
    restored_media = tmp_path / "restored-media"
    use_media(settings, restored_media)
    target = tmp_path / "restored.sqlite3"
    output = run("agora_restore", str(tmp_path / "backup"), target_url=f"sqlite:///{target}")

    # then every table has its rows and every file its bytes
    assert backup.sqlite_row_counts(target) == expected_rows
    assert media_checksums(restored_media) == expected_media
    assert "row counts match" in output
    assert "Media: 3 files restored and read back" in output


def test_a_restore_into_a_database_that_is_not_empty_is_refused_and_changes_nothing(
    sqlite_backup, settings, tmp_path
):
    # given a SQLite file with tables in it
    target = tmp_path / "in-use.sqlite3"
    use_media(settings, tmp_path / "first-media")
    run("agora_restore", str(sqlite_backup), target_url=f"sqlite:///{target}")
    before = target.read_bytes()
    use_media(settings, tmp_path / "other-media")

    # when a backup is restored into it without --force, then it is refused
    with pytest.raises(CommandError, match="is not empty: restore into a new, empty database"):
        run("agora_restore", str(sqlite_backup), target_url=f"sqlite:///{target}")
    assert target.read_bytes() == before
    assert not (tmp_path / "other-media").exists()

    # and with --force it is replaced
    run("agora_restore", str(sqlite_backup), target_url=f"sqlite:///{target}", force=True)
    assert backup.sqlite_row_counts(target)["accounts_user"] == 3


def test_a_restore_into_media_storage_that_is_not_empty_is_refused(sqlite_backup, tmp_path):
    # given the storage still holds the files (the fixture's media)
    target = tmp_path / "new.sqlite3"

    # when restored without --force, then it is refused before the database is written
    with pytest.raises(CommandError, match="media storage is not empty"):
        run("agora_restore", str(sqlite_backup), target_url=f"sqlite:///{target}")
    assert not target.exists()


def test_a_damaged_backup_is_refused_naming_the_file(sqlite_backup, settings, tmp_path):
    # given a media file of the backup altered after it was written
    damaged = sqlite_backup / "media" / "media" / "2026" / "été.mp4"
    damaged.write_bytes(b"tampered")
    use_media(settings, tmp_path / "empty-media")
    target = tmp_path / "new.sqlite3"

    # when it is restored, then it is refused and nothing is written
    with pytest.raises(CommandError, match="damaged.*media/media/2026/été.mp4"):
        run("agora_restore", str(sqlite_backup), target_url=f"sqlite:///{target}")
    assert not target.exists()
    assert not (tmp_path / "empty-media").exists()


def test_a_manifest_path_outside_the_media_folder_is_refused(sqlite_backup, settings, tmp_path):
    manifest_path = sqlite_backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["media"]["files"][0]["path"] = "../../etc/passwd"
    manifest_path.write_text(json.dumps(manifest))
    use_media(settings, tmp_path / "empty-media")

    with pytest.raises(CommandError, match="outside the media folder"):
        run("agora_restore", str(sqlite_backup), target_url=f"sqlite:///{tmp_path / 'x.db'}")


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda folder: folder.write_text("a file"), "is a file, not a folder"),
        (lambda folder: (folder.mkdir(), (folder / "old").write_text("x")), "is not empty"),
    ],
    ids=["a file", "a folder that is not empty"],
)
def test_a_backup_into_a_bad_folder_is_refused(db, media, tmp_path, prepare, message):
    folder = tmp_path / "backup"
    prepare(folder)

    with pytest.raises(CommandError, match=message):
        run("agora_backup", str(folder))
    assert not (folder.is_dir() and (folder / "manifest.json").exists())


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda folder: None, "is not a folder"),
        (lambda folder: folder.mkdir(), "has no manifest.json: it is not an Agora backup"),
        (
            lambda folder: (folder.mkdir(), (folder / "manifest.json").write_text("{}")),
            "is not an Agora backup manifest",
        ),
        (
            lambda folder: (
                folder.mkdir(),
                (folder / "manifest.json").write_text('{"format": "agora-backup", "version": 9}'),
            ),
            "backup format version 9",
        ),
    ],
    ids=["missing", "no manifest", "another manifest", "a newer format"],
)
def test_a_restore_from_a_folder_without_a_backup_is_refused(db, media, tmp_path, prepare, message):
    folder = tmp_path / "backup"
    prepare(folder)

    with pytest.raises(CommandError, match=message):
        run("agora_restore", str(folder), target_url=f"sqlite:///{tmp_path / 'x.db'}")
    assert not (tmp_path / "x.db").exists()


def test_a_backup_without_pg_dump_says_what_to_install(db, media, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))

    with pytest.raises(CommandError, match="pg_dump was not found on PATH.*postgresql-client"):
        run("agora_backup", str(tmp_path / "backup"), database_url=UNREACHABLE)
    assert not (tmp_path / "backup").exists()


def test_a_restore_without_pg_restore_says_what_to_install(sqlite_backup, tmp_path, monkeypatch):
    manifest_path = sqlite_backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["database"]["vendor"] = "postgresql"
    manifest_path.write_text(json.dumps(manifest))
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))

    with pytest.raises(CommandError, match="pg_restore was not found on PATH"):
        run("agora_restore", str(sqlite_backup), target_url=UNREACHABLE)


def test_an_unreachable_database_is_named(db, media, tmp_path, fake_pg_tools):
    with pytest.raises(CommandError, match="Cannot reach PostgreSQL agora at 127.0.0.1:1"):
        run("agora_backup", str(tmp_path / "backup"), database_url=UNREACHABLE)
    assert not (tmp_path / "backup").exists()


def test_a_restore_into_an_unreachable_database_is_refused(sqlite_backup, tmp_path, fake_pg_tools):
    manifest_path = sqlite_backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["database"]["vendor"] = "postgresql"
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="Cannot reach PostgreSQL agora at 127.0.0.1:1"):
        run("agora_restore", str(sqlite_backup), target_url=UNREACHABLE)


def test_a_backup_of_one_kind_of_database_is_not_restored_into_another(sqlite_backup):
    with pytest.raises(CommandError, match="backup of a sqlite database; PostgreSQL agora"):
        run("agora_restore", str(sqlite_backup), target_url=UNREACHABLE)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://agora@127.0.0.1/agora", "support PostgreSQL and SQLite, not"),
        ("not a url", "Not a database URL"),
    ],
)
def test_an_unsupported_database_url_is_refused(db, media, tmp_path, url, message):
    with pytest.raises(CommandError, match=message):
        run("agora_backup", str(tmp_path / "backup"), database_url=url)


def test_a_sqlite_target_that_is_no_database_is_refused(sqlite_backup, settings, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("not a database" * 100)
    use_media(settings, tmp_path / "empty-media")

    with pytest.raises(CommandError, match="is not a SQLite database"):
        run("agora_restore", str(sqlite_backup), target_url=f"sqlite:///{target}")
    assert target.read_text() == "not a database" * 100


def test_the_readyz_probe_files_are_left_out(db, media, tmp_path):
    from core.health import PROBE_PREFIX

    storages["default"].save(f"{PROBE_PREFIX}abc", ContentFile(b"probe"))

    assert f"{PROBE_PREFIX}abc" not in set(backup.storage_files(storages["default"]))
    assert "top.txt" in set(backup.storage_files(storages["default"]))
