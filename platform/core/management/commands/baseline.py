"""Restore or regenerate the shipped, already-migrated SQLite database (``core.baseline``)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import baseline


class Command(BaseCommand):
    help = (
        "--restore: load the shipped migrated baseline into the empty SQLite database, so "
        "`migrate` applies only newer migrations. --write: regenerate the baseline."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument(
            "--restore", action="store_true", help="Load it into the default database if empty."
        )
        action.add_argument(
            "--write", action="store_true", help="Migrate from scratch and ship the result."
        )

    def handle(self, *args, **options):
        if options["write"]:
            contained = baseline.write()
            self.stdout.write(f"Wrote {baseline.DUMP} ({len(contained)} migrations).")
            return
        database = settings.DATABASES["default"]
        if not database["ENGINE"].endswith("sqlite3"):
            self.stdout.write("The baseline is for SQLite; migrate will build this database.")
            return
        path = Path(database["NAME"])
        try:
            stale = baseline.stale_migrations()
        except FileNotFoundError as error:
            raise CommandError(f"No baseline is shipped ({error.filename}).") from error
        if baseline.restore(path):
            self.stdout.write(f"Restored the migrated baseline into {path}.")
        elif stale:
            self.stdout.write(
                f"The baseline is stale ({len(stale)} migrations changed since it was written, "
                f"e.g. {stale[0]}): migrating from scratch. `make baseline` regenerates it."
            )
        else:
            self.stdout.write(f"{path} already has tables: migrate will bring it up to date.")
