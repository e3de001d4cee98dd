"""Restore a backup made by ``agora_backup`` (``core.backup``)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import backup


class Command(BaseCommand):
    help = (
        "Restore the backup in FOLDER into an empty database and media storage: every "
        "checksum is verified first, and every table's row count and media file after."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="A folder written by agora_backup.")
        parser.add_argument(
            "--target-url",
            help=(
                "The database to restore into, e.g. postgres://user@host:5432/agora_new "
                "(default: the configured one, DATABASE_URL). It must be empty."
            ),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "Restore into a database or media storage that is not empty: the backup's "
                "tables and files replace those of the same name."
            ),
        )

    def handle(self, *args, folder: Path, target_url: str | None, force: bool, **options):
        self.verbosity = options["verbosity"]
        try:
            database = backup.Database.from_url(target_url) if target_url else None
            backup.restore(folder, database=database, force=force, progress=self._progress)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None

    def _progress(self, line: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(line)
