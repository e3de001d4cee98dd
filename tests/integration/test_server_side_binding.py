"""PostgreSQL receives the API's values apart from the query's text (server-side binding)
and never keeps a statement prepared, so it always plans with the values in hand
(``config.settings.database``: a generic plan of the notifications page took 800 ms)."""

import psycopg
import pytest
from django.db import connection

from apps.feed.models import Status
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _last_query_of(backend_pid: int) -> str:
    """What another session sees as ``backend_pid``'s last query (pg_stat_activity)."""
    with psycopg.connect(**connection.get_connection_params() | {"autocommit": True}) as other:
        (query,) = other.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = %s", [backend_pid]
        ).fetchone()
    return query


def test_values_are_bound_server_side_and_no_statement_is_kept_prepared():
    viewer = UserFactory(username="bound")
    connection.ensure_connection()
    assert connection.connection.prepare_threshold is None

    # when the same query runs many times, with a different value each time
    for n in range(12):
        list(Status.objects.filter(account=viewer, replies_count__gte=1000 + n).values_list("pk"))

    # then PostgreSQL received the values as parameters, not quoted into the text
    last = _last_query_of(connection.connection.info.backend_pid)
    assert '"replies_count" >= $2' in last, last
    assert "1011" not in last
    # and kept no statement prepared, so each run was planned with its values
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone() == (0,)
