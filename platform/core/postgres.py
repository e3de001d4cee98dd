"""PostgreSQL cursors that prepare only the statements whose plan cannot depend on their
values.

PostgreSQL plans a statement each time it runs, with its values in hand, unless the
statement is prepared: then after five runs it may switch to a *generic* plan, made once
without the values, when its estimate says that plan is no dearer. For the visibility
rules that estimate is badly wrong (a notifications page's generic plan took 800 ms to
2 s, against 4 ms planned with its values: ``bench/plans.py``), so Agora's connections
prepare nothing by default (``prepare_threshold`` never reached).

A read of rows by their keys (:mod:`core.rows`) is the exception: the same text on every
call, one array of keys as its only varying value, answered by an index scan on the key
whatever the keys. Its generic plan is the plan, and planning its joins took PostgreSQL
1.2 ms per page (more than running it). Its text starts with :data:`PREPARED`, and
:class:`PreparingCursor` prepares it on first use, once per connection.

So is a page's ids query whose rules are compiled with their constants written into the
text (``apps.feed.models.compiled.written_in``), run inside :func:`preparing`: its generic
plan is then the plan planned with the values, and costs a tenth of planning each page
anew. PostgreSQL's own estimate would still not choose it: for a viewer with few
notifications the planned plan looks cheaper, and over the bench's thousand viewers it
planned every notifications page anew (1.8 ms against 0.3, ``bench/plans.py``). So the
generic plan is asked for, around that one statement only: the setting is the session's,
and would give every other statement, unprepared ones included, a generic plan too.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from django.db.backends.postgresql.base import ServerBindingCursor
from psycopg.pq import TransactionStatus

# The comment a statement's text starts with to be prepared (core.rows' reads by key).
PREPARED = "/* prepared */ "

# psycopg prepares a statement after this many runs: never, unless asked (PREPARED).
ONLY_WHEN_ASKED = sys.maxsize
# Around a statement run inside ``preparing``: planned generically from its first run.
GENERIC_PLAN = "SET plan_cache_mode = force_generic_plan"
AS_BEFORE = "RESET plan_cache_mode"


class PreparingCursor(ServerBindingCursor):
    """Django's server-side binding cursor; a statement starting with :data:`PREPARED` is
    prepared (psycopg keeps it per connection, up to ``prepared_max``)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and isinstance(query, str) and query.startswith(PREPARED):
            prepare = True
        return super().execute(query, params, prepare=prepare, binary=binary)


@contextmanager
def preparing(using: str) -> Iterator[None]:
    """The statements run on the connection ``using`` inside are prepared, and on
    PostgreSQL planned generically from their first run: only for a query whose generic
    plan was measured to be its plan (``bench/plans.py``).

    Where the connection does not prepare what it is asked to (``DATABASE_PREPARED_STATEMENTS``
    or ``DATABASE_SERVER_SIDE_BINDING`` false) they are planned as any other statement."""
    connection = connections[using]

    def prepare(execute, sql, params, many, context):
        sql = sql if sql.startswith(PREPARED) else PREPARED + sql
        session = connection.connection  # psycopg's, open: the statement is being run
        if connection.vendor != "postgresql" or session.prepare_threshold != ONLY_WHEN_ASKED:
            return execute(sql, params, many, context)
        session.execute(GENERIC_PLAN)
        try:
            return execute(sql, params, many, context)
        finally:
            # In a failed transaction its rollback undoes the setting (SET is transactional).
            status = session.info.transaction_status
            if not session.broken and status != TransactionStatus.INERROR:
                session.execute(AS_BEFORE)

    with connection.execute_wrapper(prepare):
        yield


def close_connections_and_pools() -> None:
    """Close this process's open database connections, and PostgreSQL's pools with them.

    For a process about to fork, or to instrument its connections: what was opened
    before is dropped, and the next query connects anew.
    """
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        if hasattr(connection, "close_pool"):  # PostgreSQL's backend
            connection.close_pool()
