"""PostgreSQL receives the API's values apart from the query's text (server-side binding)
and keeps no statement prepared but those whose generic plan is their plan: the reads of
rows by key, and the public timeline's and notifications' page ids, whose compiled rules
carry their constants in their text (``apps.feed.models.compiled.written_in``). Every
other query is planned with its values in hand (``config.settings.database``: a generic
plan of the notifications page, its constants sent as values, took 800 ms)
(``core.postgres``)."""

import psycopg
import pytest
from django.db import DataError, connection, transaction

from apps.feed.models import Notification, Status, Tag
from apps.feed.selectors.statuses import PAGE_ROWS
from core.postgres import PREPARED, preparing
from core.rows import rows_by_keys
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient
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


def _prepared_plans() -> dict[str, tuple[int, int]]:
    """Each prepared statement's text and how often it was planned generically and with
    its values (custom)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {statement: (generic, custom) for statement, generic, custom in cursor.fetchall()}


def _page_ids(table: str, plans: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    return {sql: n for sql, n in plans.items() if f'SELECT "{table}"."id" AS "pk"' in sql}


def test_the_public_and_notifications_page_ids_are_prepared_their_rules_constants_written_in():
    viewer, author = UserFactory(username="reader"), UserFactory(username="writer")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=viewer).token}")
    topic = Tag.objects.create(name="topic")
    for account in (viewer, author, author):
        status = StatusFactory(account=account)
        status.tags.add(topic)
        Notification.objects.create(
            account=viewer, from_account=author, type=Notification.Type.FAVOURITE, status=status
        )
    connection.close()
    connection.close_pool()

    # when each page is read several times
    for _ in range(3):
        for path in (
            "/api/v1/timelines/public",
            "/api/v1/notifications",
            "/api/v1/timelines/tag/topic",
        ):
            response = client.get(path)
            assert response.status_code == 200, response.content
    assert len(client.get("/api/v1/timelines/public").json()) == 3
    assert len(client.get("/api/v1/notifications").json()) == 3

    # then the two pages' id queries are prepared, planned generically from the first run
    # (PostgreSQL's estimate would plan them anew each time for a viewer with few), and
    # their rules' constants are in their text, not among the values
    plans = _prepared_plans()
    for table in ("feed_status", "feed_notification"):
        ((sql, (generic, custom)),) = _page_ids(table, plans).items()
        assert sql.startswith(PREPARED.strip())
        assert (generic, custom) == (4, 0)
        assert "'removed'" in sql, sql
        assert "'suspended'" in sql, sql
    # and the hashtag timeline's is not: how many rows a tag keeps is what its plan turns on
    assert len(client.get("/api/v1/timelines/tag/topic").json()) == 3
    assert all("feed_status_tags" not in sql for sql in _page_ids("feed_status", plans))
    # and the session plans every other statement as before
    assert _plan_cache_mode() == "auto"


def _plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


def test_a_statement_asked_to_plan_generically_that_fails_leaves_the_session_as_it_was():
    connection.ensure_connection()

    # when a statement run inside preparing fails, outside a transaction and inside one
    with pytest.raises(DataError), preparing(connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT 1 / %s", [0])
    outside = _plan_cache_mode()
    with pytest.raises(DataError), transaction.atomic():
        with preparing(connection.alias), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / %s", [0])
    inside = _plan_cache_mode()

    # then the next statements are planned as before: the generic plan was asked for the
    # failed statement alone (inside the transaction, its rollback undid the setting)
    assert (outside, inside) == ("auto", "auto")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 / %s", [1])
        assert cursor.fetchone() == (1,)


def test_a_connection_that_prepares_nothing_is_asked_for_no_generic_plan():
    connection.ensure_connection()
    # as DATABASE_PREPARED_STATEMENTS=false leaves psycopg's connection (config.settings.database)
    connection.connection.prepare_threshold = None

    # when a statement runs inside preparing
    with preparing(connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT %s::int", [41])
        assert cursor.fetchone() == (41,)

    # then it was sent as it is, marked but unprepared, with no setting asked around it
    # (the session's last statement is it, not a RESET)
    last = _last_query_of(connection.connection.info.backend_pid)
    assert last.startswith(PREPARED.strip()), last
    assert "SELECT $1::int" in last, last
    assert _prepared() == []
