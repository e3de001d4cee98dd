"""Compile every ``.po`` catalogue under the locale folders to ``.mo``, without gettext.

Django's ``compilemessages`` needs GNU gettext's ``msgfmt``; this command uses polib
so ``make run`` works on a machine with nothing but Python.
"""

from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the .po files under LOCALE_PATHS to .mo files (pure Python, no gettext)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--locale",
            "-l",
            action="append",
            default=[],
            help="Compile only this locale (repeatable). Default: every locale.",
        )

    def handle(self, *args, **options):
        locales = set(options["locale"])
        catalogues = sorted(
            po_path
            for folder in settings.LOCALE_PATHS
            for po_path in Path(folder).glob("*/LC_MESSAGES/*.po")
            if not locales or po_path.parts[-3] in locales
        )
        if not catalogues:
            raise CommandError("No .po files found under LOCALE_PATHS.")
        for po_path in catalogues:
            try:
                catalogue = polib.pofile(str(po_path))
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read {po_path}: {exc}") from exc
            catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
            self.stdout.write(
                f"Compiled {po_path} ({len(catalogue.translated_entries())} messages)"
            )
