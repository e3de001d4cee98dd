"""``manage.py billing_export YYYY-MM [--output FILE]``: a month's ledger as CSV."""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from apps.billing.services import export


class Command(BaseCommand):
    help = "Write a month's ledger entries as CSV (accounts by id only); the export is audited."

    def add_arguments(self, parser) -> None:
        parser.add_argument("period", help="The month, YYYY-MM.")
        parser.add_argument("--output", help="The file to write (default: standard output).")
        parser.add_argument("--actor", default="", help="Who asks (for the audit trail).")

    def handle(
        self, *args, period: str, output: str | None = None, actor: str = "", **options
    ) -> None:
        try:
            month = dt.datetime.strptime(period, "%Y-%m").replace(tzinfo=dt.UTC).date()
        except ValueError:
            raise CommandError(f"The period must be a month, YYYY-MM (got {period!r})") from None
        who = f"manage.py ({actor})" if actor else "manage.py"
        try:
            stream = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}") from None
        rows = -1
        try:
            for line in export.ledger_csv(period=month, actor=who):
                stream.write(line)
                rows += 1
        finally:
            if output:
                stream.close()
        if output:
            self.stderr.write(f"{rows} entries of {period} written to {output}")
