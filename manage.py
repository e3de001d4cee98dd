#!/usr/bin/env python
"""Django's command-line utility for Agora."""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
# platform/ is a source folder, not a package: see ARCHITECTURE.md.
sys.path.insert(0, str(BASE_DIR / "platform"))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
