"""A backup of the PostgreSQL database and the media restores into a fresh database with
every row and every file: pg_dump, pg_restore into a scratch database this test creates
and drops, and the media storage copied file by file.

    createdb -h 127.0.0.1 -U postgres agora_backup
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_backup \\
    REDIS_URL=redis://127.0.0.1:6379/10 CELERY_BROKER_URL=redis://127.0.0.1:6379/10 \\
    .venv/bin/pytest -m integration --create-db tests/integration/test_backup_restore.py
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import time
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from PIL import Image

from apps.accounts import services as accounts
from apps.feed import services as feed
from core import backup
from tests.accounts.factories import UserFactory
from tests.integration.conftest import WORKER_QUIET_SECONDS, _worker, _worker_busy

pytestmark = pytest.mark.integration


def image(color: str, name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


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


def wait_for_the_worker() -> None:
    """The tasks the writes queued (fan-out, moderation) are done: the counts hold still."""
    deadline = time.monotonic() + WORKER_QUIET_SECONDS
    while _worker_busy(_worker["hostname"]):
        if time.monotonic() > deadline:
            pytest.fail("the worker was still busy")
        time.sleep(0.2)


@pytest.fixture
def scratch_database() -> backup.Database:
    """A fresh, empty PostgreSQL database beside the test database, dropped afterwards."""
    source = backup.Database.configured()
    name = f"agora_restore_{os.getpid()}_{time.monotonic_ns()}"
    admin = dataclasses.replace(source, name="postgres")
    with closing(admin.connect()) as connection:
        connection.autocommit = True
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield dataclasses.replace(source, name=name)
    finally:
        with closing(admin.connect()) as connection:
            connection.autocommit = True
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def url_of(database: backup.Database) -> str:
    credentials = database.user + (f":{database.password}" if database.password else "")
    return (
        f"postgres://{credentials}@{database.host or 'localhost'}:{database.port or 5432}"
        f"/{database.name}"
    )


def test_a_backup_restores_into_a_fresh_database_with_every_row_and_file(
    transactional_db, celery_worker_process, scratch_database, settings, tmp_path
):
    # given accounts with avatars and headers, statuses, follows and favourites
    media = tmp_path / "media"
    use_media(settings, media)
    users = UserFactory.create_batch(4)
    for number, user in enumerate(users):
        accounts.account_update_profile(
            account=user,
            note=f"Account {number}",
            avatar=image("red", f"avatar-{number}.png"),
            header=image("blue", f"header-{number}.png"),
        )
        for text in ("first", "second"):
            feed.status_create(author=user, text=f"{text} post of {user.username}")
    for follower in users[1:]:
        feed.account_follow(account=follower, target=users[0])
    from apps.feed.models import Status

    for status in Status.objects.filter(account=users[0]):
        feed.status_favourite(status=status, account=users[1])
    wait_for_the_worker()
    source = backup.Database.configured()
    rows = backup.postgres_row_counts(source)
    files = media_checksums(media)
    assert rows["public.accounts_user"] == 4
    assert rows["public.feed_status"] == 8
    assert len(files) == 8

    # when it is backed up
    folder = tmp_path / "backup"
    out = io.StringIO()
    call_command("agora_backup", str(folder), stdout=out)

    # then the manifest holds every table's rows and every file's checksum
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == "postgresql"
    assert manifest["database"]["row_counts"] == rows
    assert {entry["path"]: entry["sha256"] for entry in manifest["media"]["files"]} == files
    assert "Backup complete" in out.getvalue()

    # when it is restored into a fresh database and an empty media storage
    restored_media = tmp_path / "restored-media"
    use_media(settings, restored_media)
    out = io.StringIO()
    call_command("agora_restore", str(folder), target_url=url_of(scratch_database), stdout=out)

    # then every table has the same rows and every file the same bytes
    assert backup.postgres_row_counts(scratch_database) == rows
    assert media_checksums(restored_media) == files
    assert "row counts match" in out.getvalue()
    # and the restored rows are the same rows, not only as many
    with closing(scratch_database.connect()) as connection:
        restored_names = [
            name for (name,) in connection.execute("SELECT username FROM accounts_user ORDER BY 1")
        ]
    assert restored_names == sorted(user.username for user in users)

    # when restored again without --force, then the database that is no longer empty is
    # refused; with --force it is replaced and still matches
    with pytest.raises(CommandError, match="is not empty"):
        call_command("agora_restore", str(folder), target_url=url_of(scratch_database))
    call_command(
        "agora_restore",
        str(folder),
        target_url=url_of(scratch_database),
        force=True,
        stdout=io.StringIO(),
    )
    assert backup.postgres_row_counts(scratch_database) == rows
    assert media_checksums(restored_media) == files


def test_the_row_counts_are_those_of_the_dump_while_writes_go_on(
    transactional_db, scratch_database, settings, tmp_path
):
    """pg_dump and the counts read one exported snapshot: a row written meanwhile is in
    neither, so the restore's comparison holds on a platform that keeps writing."""
    use_media(settings, tmp_path / "media")
    UserFactory.create_batch(2)
    source = backup.Database.configured()
    folder = tmp_path / "backup"
    written_during_the_dump: list[str] = []

    def progress(line: str) -> None:
        # Between the counts and pg_dump, another connection commits a row.
        if line.startswith("Database: pg_dump of"):
            with closing(psycopg.connect(url_of(source))) as other:
                other.execute(
                    "INSERT INTO django_content_type (app_label, model) VALUES ('late', 'row')"
                )
                other.commit()
            written_during_the_dump.append(line)

    manifest = backup.backup(folder, progress=progress)

    assert written_during_the_dump
    live = backup.postgres_row_counts(source)
    assert (
        live["public.django_content_type"]
        == manifest["database"]["row_counts"]["public.django_content_type"] + 1
    )
    use_media(settings, tmp_path / "restored-media")
    backup.restore(folder, database=scratch_database)
    with closing(scratch_database.connect()) as connection:
        late = connection.execute(
            "SELECT count(*) FROM django_content_type WHERE app_label = 'late'"
        ).fetchone()[0]
    assert late == 0
