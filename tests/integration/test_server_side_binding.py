"""PostgreSQL receives the API's values apart from the query's text (server-side binding)
and keeps no statement prepared but the reads of rows by key, so every other query is
planned with its values in hand (``config.settings.database``: a generic plan of the
notifications page took 800 ms), and those reads are planned once per connection
(``core.postgres``)."""

import psycopg
import pytest
from django.db import connection

from apps.feed.models import Status
from apps.feed.selectors.statuses import PAGE_ROWS
from core.postgres import PREPARED
from core.rows import rows_by_keys
from tests.accounts.factories import UserFactory
from tests.feed.factories import StatusFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_session():
    """Each test starts on a new PostgreSQL session: prepared statements belong to a session,
    and a pooled connection carries those of the tests before (a token check prepares its
    read by key)."""
    connection.close()
    connection.close_pool()


def _last_query_of(backend_pid: int) -> str:
    """What another session sees as ``backend_pid``'s last query (pg_stat_activity)."""
    with psycopg.connect(**connection.get_connection_params() | {"autocommit": True}) as other:
        (query,) = other.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = %s", [backend_pid]
        ).fetchone()
    return query


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_values_are_bound_server_side_and_an_ordinary_query_is_never_prepared():
    viewer = UserFactory(username="bound")
    connection.ensure_connection()

    # when the same query runs many times, with a different value each time
    for n in range(12):
        list(Status.objects.filter(account=viewer, replies_count__gte=1000 + n).values_list("pk"))

    # then PostgreSQL received the values as parameters, not quoted into the text
    last = _last_query_of(connection.connection.info.backend_pid)
    assert '"replies_count" >= $2' in last, last
    assert "1011" not in last
    # and kept no statement prepared, so each run was planned with its values
    assert _prepared() == []


def test_a_read_of_rows_by_key_is_prepared_once_per_connection():
    statuses = [StatusFactory() for _ in range(3)]
    connection.ensure_connection()
    assert _prepared() == []

    # when a page's rows are read by key three times, with other keys each time
    for n in range(3):
        found = rows_by_keys(PAGE_ROWS, [status.pk for status in statuses[n:]])
        assert sorted(row.pk for row in found) == sorted(s.pk for s in statuses[n:])

    # then its statement was prepared once, and is the only one
    prepared = _prepared()
    assert len(prepared) == 1, prepared
    assert prepared[0].startswith(PREPARED.strip()), prepared
    assert "= ANY($" in prepared[0]
