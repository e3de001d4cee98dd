"""The one environment reader every settings module uses."""

from pathlib import Path

import environ

# manage.py, platform/, apps/ live here.
BASE_DIR = Path(__file__).resolve().parents[3]
# Embedded defaults (SQLite, local media, the file broker) keep their data here.
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
