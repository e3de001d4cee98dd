"""How long a new SQLite database takes to become ready: from scratch, and from the baseline.

`make run` on a new machine restores the migrated baseline the repository ships
(``core.baseline``) and then migrates only what is newer; before, it migrated every
migration from scratch. Both are measured here in the same run, each in a new
database, as ``make run`` does it (``manage.py`` in a child process), and printed with
their ratio.

    .venv/bin/python bench/startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def manage(database: Path, *arguments: str) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DEBUG": "true"}
    env["LOG_LEVEL"] = "WARNING"
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *arguments],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def timed(steps) -> float:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "agora.sqlite3"
        started = time.perf_counter()
        for step in steps:
            manage(database, *step)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    scratch, baseline = [], []
    for _run in range(runs):
        scratch.append(timed([("migrate", "--noinput")]))
        baseline.append(timed([("baseline", "--restore"), ("migrate", "--noinput")]))
    from_scratch, from_baseline = statistics.median(scratch), statistics.median(baseline)
    print(f"migrate from scratch:             {from_scratch:7.1f} s (median of {runs})")
    print(f"baseline restore, then migrate:   {from_baseline:7.1f} s (median of {runs})")
    print(f"scratch / baseline:               {from_scratch / from_baseline:7.1f}x")


if __name__ == "__main__":
    main()
