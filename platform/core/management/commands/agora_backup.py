"""Back up the database and the media storage into a folder (``core.backup``)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import backup


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump --format=custom; SQLite: a copy) and "
        "every file of the media storage into FOLDER, new or empty, with a manifest of "
        "sizes, sha256 checksums and row counts. Restore with agora_restore."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="A new or empty folder.")
        parser.add_argument(
            "--database-url",
            help="The database to dump (default: the configured one, DATABASE_URL).",
        )

    def handle(self, *args, folder: Path, database_url: str | None, **options):
        self.verbosity = options["verbosity"]
        try:
            database = backup.Database.from_url(database_url) if database_url else None
            backup.backup(folder, database=database, progress=self._progress)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None

    def _progress(self, line: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(line)
