"""``manage.py protection_import_domains FILE [--severity warn|refuse] [--source NAME]``.

Adds a published blocklist to the link blocklist: plain lines, a hosts file or CSV
(:mod:`apps.protection.links.lists`). Prints a progress line per batch and a
summary; every domain added or changed is audited with the operator's name.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.management.lookup import command_actor
from apps.protection.links.lists import SEVERITIES, parse_domain_list
from apps.protection.services.domains import ImportSummary, blocked_domains_import

MAX_BAD_LINES_SHOWN = 10


class Command(BaseCommand):
    help = (
        "Import a domain blocklist (plain lines, hosts file or CSV with domain[,severity"
        "[,reason]]); subdomains are covered. Already listed domains take the file's terms."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the list: a path, or - for standard input")
        parser.add_argument(
            "--severity",
            choices=SEVERITIES,
            default="refuse",
            help="for entries that do not name one (default: refuse)",
        )
        parser.add_argument(
            "--source",
            default="",
            help="where the list comes from, kept with each entry (default: the file's name)",
        )

    def handle(self, *args, file: str, severity: str, source: str, **options):
        text = self._read(file)
        source = (source or ("stdin" if file == "-" else Path(file).name))[:100]

        def progress(summary: ImportSummary) -> None:
            self.stdout.write(
                f"… {summary.total} domains so far ({summary.added} added, "
                f"{summary.changed} changed)"
            )

        summary = blocked_domains_import(
            actor=command_actor(),
            entries=parse_domain_list(text),
            severity=severity,
            source=source,
            progress=progress,
        )
        if summary.total == 0 and summary.bad_lines:
            first = summary.bad_lines[0]
            raise CommandError(
                f"{file}: no domain found; line {first.line} ({first.text!r}): {first.problem}"
            )
        if summary.total == 0:
            raise CommandError(f"{file}: no domain found (an empty file or only comments).")
        for bad in summary.bad_lines[:MAX_BAD_LINES_SHOWN]:
            self.stderr.write(f"line {bad.line} skipped ({bad.text!r}): {bad.problem}")
        if len(summary.bad_lines) > MAX_BAD_LINES_SHOWN:
            self.stderr.write(f"… and {len(summary.bad_lines) - MAX_BAD_LINES_SHOWN} more")
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.added} added, {summary.changed} changed, {summary.unchanged} "
                f"unchanged, {len(summary.bad_lines)} lines skipped (source: {source})."
            )
        )

    def _read(self, file: str) -> str:
        if file == "-":
            data = sys.stdin.buffer.read()
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"{file}: no such file.")
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"{file}: cannot be read ({exc.strerror}).") from None
        if b"\x00" in data[:4096]:
            raise CommandError(f"{file}: not a text file (a list of domains is expected).")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{file}: not UTF-8 text (byte {exc.start}); save the list as UTF-8."
            ) from None
