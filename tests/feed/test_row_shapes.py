"""Pages read their rows by key from SQL compiled once per shape (core.rows), with every
relation and annotation their ordinary queryset would load, in one query."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from apps.feed.fanout.reads import HOME_ROWS
from apps.feed.models import Status
from apps.feed.selectors.statuses import PAGE_ROWS, with_key_relations
from core import rows
from core.rows import RowShape, rows_by_keys
from tests.feed.factories import StatusFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def statuses():
    original = StatusFactory(text="original")
    reblog = StatusFactory(reblog_of=original, text="")
    plain = StatusFactory(text="plain")
    return original, reblog, plain


def _seen(status: Status) -> tuple:
    """What a page reads of a status and its relations (no query if they are loaded)."""
    original = status.reblog_of
    return (
        status.pk,
        status.text,
        status.account.username,
        original.pk if original else None,
        original.account.username if original else None,
        status.media_present,
        status.original_media_present,
        getattr(status, "poll", None),
    )


def test_a_shape_reads_the_rows_its_queryset_would_in_one_query(statuses):
    keys = [status.pk for status in statuses]
    expected = sorted(_seen(s) for s in with_key_relations(Status.objects.filter(pk__in=keys)))

    with CaptureQueriesContext(connection) as queries:
        found = sorted(_seen(s) for s in rows_by_keys(PAGE_ROWS, keys))

    assert found == expected
    assert len(queries) == 1  # relations and annotations came with the rows


@pytest.fixture
def compiled(monkeypatch) -> list[str]:
    """The database of each shape compiled from now on (nothing compiled before)."""
    found: list[str] = []
    real_compile = rows._compile

    def counting(queryset, key, db):
        found.append(db)
        return real_compile(queryset, key, db)

    monkeypatch.setattr(rows, "_compile", counting)
    monkeypatch.setattr(rows, "_compiled", {})
    return found


def test_any_number_of_keys_reuses_the_shape_compiled_once(statuses, compiled):
    shape = RowShape("tests.home", HOME_ROWS.build)
    original, reblog, plain = statuses

    first = rows_by_keys(shape, [plain.pk])
    second = rows_by_keys(shape, [original.pk, reblog.pk, plain.pk, 10**15])

    assert [s.pk for s in first] == [plain.pk]
    assert sorted(s.pk for s in second) == sorted([original.pk, reblog.pk, plain.pk])
    assert {s.pk: s.reblog_of for s in second}[reblog.pk] == original
    # PostgreSQL: compiled once, the keys one array parameter. SQLite has no arrays: each
    # read is an ordinary query.
    assert compiled == (["default"] if connection.vendor == "postgresql" else [])


def test_a_shape_compiled_in_one_thread_is_not_compiled_again_in_another(statuses, compiled):
    # Under ASGI each request runs in a thread of its own, with connection objects of its own.
    shape = RowShape("tests.threads", HOME_ROWS.build)
    rows_by_keys(shape, [statuses[2].pk])

    def in_another_thread():
        try:
            rows_by_keys(shape, [statuses[2].pk])  # its own connection: the rows are not
        finally:  # committed, so it finds none; what counts is that it compiles nothing
            connections.close_all()

    thread = threading.Thread(target=in_another_thread)
    thread.start()
    thread.join()

    assert compiled == (["default"] if connection.vendor == "postgresql" else [])


def test_a_shape_that_prefetches_is_refused(statuses):
    shape = RowShape("tests.prefetching", lambda: Status.objects.prefetch_related("tags"))
    with pytest.raises(ValueError, match="cannot prefetch"):
        rows_by_keys(shape, [statuses[2].pk])


def test_a_shape_reads_by_another_column_of_its_table(statuses):
    # A status's rows by the account that wrote them: the key a shape names, not its pk.
    original, reblog, plain = statuses
    shape = RowShape(
        "tests.by_account", lambda: Status.objects.select_related("account"), "account_id"
    )

    with CaptureQueriesContext(connection) as queries:
        found = rows_by_keys(shape, [plain.account_id, original.account_id])

    assert sorted(s.pk for s in found) == sorted([plain.pk, original.pk])
    assert {s.account.username for s in found} == {
        plain.account.username,
        original.account.username,
    }
    assert len(queries) == 1


def test_mentions_and_tags_come_in_one_query_each_in_the_order_written(statuses):
    from apps.feed.models import Mention, Tag
    from apps.feed.selectors import prefetch_mentions_and_tags, status_mentions, status_tags
    from tests.accounts.factories import UserFactory

    original, reblog, plain = statuses
    zed, amy = UserFactory(username="zed"), UserFactory(username="amy")
    Mention.objects.create(status=plain, account=zed)
    Mention.objects.create(status=plain, account=amy)
    plain.tags.add(Tag.objects.create(name="zebra"))
    plain.tags.add(Tag.objects.create(name="apple"))
    original.tags.add(Tag.objects.get(name="apple"))
    fresh = list(Status.objects.filter(pk__in=[original.pk, plain.pk]).order_by("pk"))

    with CaptureQueriesContext(connection) as queries:
        prefetch_mentions_and_tags(fresh)
        shown = {
            status.pk: (
                [mention.account.username for mention in status_mentions(status)],
                [tag.name for tag in status_tags(status)],
            )
            for status in fresh
        }

    assert shown == {original.pk: ([], ["apple"]), plain.pk: (["zed", "amy"], ["zebra", "apple"])}
    assert len(queries) == 2  # mentions with their accounts, and tags: for every status
    with CaptureQueriesContext(connection) as again:
        prefetch_mentions_and_tags(fresh)
    assert len(again) == 0  # loaded statuses are skipped


# Keys as one parameter in hand-written SQL (core.rows.any_of) ------------------------


def test_any_of_matches_the_keys_however_often_the_statement_names_them(statuses):
    original, reblog, plain = statuses
    among, keys = rows.any_of("keys", [original.pk, plain.pk], connection=connection)
    table = Status._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 'a', id FROM {table} WHERE id {among}"  # noqa: S608
            f" UNION ALL SELECT 'b', id FROM {table} WHERE id {among} AND text = %(text)s",
            {"text": "plain", **keys},
        )
        found = sorted(cursor.fetchall())

    assert found == sorted([("a", original.pk), ("a", plain.pk), ("b", plain.pk)])


def test_any_of_no_keys_matches_nothing(statuses):
    among, keys = rows.any_of("keys", [], connection=connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Status._meta.db_table} WHERE id {among}", keys)  # noqa: S608
        assert cursor.fetchall() == []


def test_a_page_s_viewer_state_is_one_statement_whatever_the_page_s_length(statuses):
    """On PostgreSQL the favourites, reblogs, bookmarks and mutes of a page are read by one
    statement text for any page, with few enough parameters that psycopg caches its parse."""
    if connection.vendor != "postgresql":
        pytest.skip("an IN list of one parameter per key elsewhere")
    from psycopg._queries import MAX_CACHED_STATEMENT_PARAMS

    from apps.feed.selectors.statuses import viewer_state
    from tests.accounts.factories import UserFactory

    viewer = UserFactory()
    sent: list[tuple[str, int]] = []

    def record(execute, sql, params, many, context):
        if "SELECT 'f', status_id" in sql:
            sent.append((sql, len(params)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        viewer_state(viewer=viewer, statuses=statuses[:1])
        viewer_state(viewer=viewer, statuses=[*statuses, *StatusFactory.create_batch(20)])

    (short_sql, short_params), (long_sql, long_params) = sent
    assert short_sql == long_sql
    assert short_params == long_params <= MAX_CACHED_STATEMENT_PARAMS
