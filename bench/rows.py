"""What reading a page's rows by key costs, compiled once (core.rows) against Django's queryset.

A page reads its rows by key in the same shape on every request; Django compiles that
query to SQL each time, :func:`core.rows.rows_by_keys` once per shape and thread. For the
home page's rows (statuses with their authors and reblogged originals) and the public
and account pages' rows (seven relations and two annotations), this prints the client's
CPU milliseconds per read of the newest 24 statuses both ways, measured in the same run,
and their ratio. Needs a PostgreSQL database holding statuses (``bench/load.py
--keep-db``'s, or ``profile_api.py``'s)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_bench_load \\
        .venv/bin/python bench/rows.py [--reads 400]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
from bench.settings import production_environment  # noqa: E402

production_environment()


def cpu_ms(read, reads: int) -> float:
    for _ in range(20):
        read()
    start = time.process_time()
    for _ in range(reads):
        read()
    return (time.process_time() - start) / reads * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=400)
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL database holding statuses")

    import django

    django.setup()
    from apps.feed.fanout.reads import HOME_ROWS
    from apps.feed.models import Status
    from apps.feed.selectors.statuses import PAGE_ROWS
    from core.rows import rows_by_keys

    ids = list(Status.objects.order_by("-id").values_list("id", flat=True)[:24])
    if not ids:
        sys.exit("the database holds no statuses")
    print(f"bench/rows.py: the newest {len(ids)} statuses, {options.reads} reads each way")
    for name, shape in (
        ("home page rows (3 relations)", HOME_ROWS),
        ("page rows (7 relations, 2 annotations)", PAGE_ROWS),
    ):
        queryset = cpu_ms(lambda s=shape: list(s.build().filter(pk__in=ids)), options.reads)
        compiled = cpu_ms(lambda s=shape: rows_by_keys(s, ids), options.reads)
        print(
            f"  {name:40s} queryset {queryset:6.2f} ms CPU, compiled once {compiled:6.2f} ms:"
            f" {compiled / queryset:.2f} of the queryset's"
        )


if __name__ == "__main__":
    main()
