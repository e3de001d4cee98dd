"""A home page read from the feed store loads its polls and quotes as the database's page
does, without joining them: the viewer's relations query says which rows carry one, and
those are read in one query each (none when the page has neither)."""

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.celery import app as celery_app


@pytest.fixture
def store(settings, tmp_path):
    """The feed store on a private redis-server, tasks run in process (as a worker would)."""
    from tests.core.test_outages import RedisServer

    importlib.import_module("apps.feed.tasks")
    server = RedisServer(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    yield server
    celery_app.conf.task_always_eager = False
    settings.REDIS_URL = ""
    server.stop()


def home(member, **params) -> list[dict]:
    response = member.client.get("/api/v1/timelines/home", params)
    assert response.status_code == 200, response.json()
    return response.json()


def queries_of(member) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        home(member)
    return [query["sql"] for query in queries]


POLL = {"poll": {"options": ["yes", "no"], "expires_in": 3600}}


@pytest.mark.django_db(transaction=True)
def test_a_store_page_shows_polls_and_quotes_as_the_database_does(
    alice, bob, carol, store, settings
):
    # given alice follows bob, who posts a poll, quotes carol, reblogs carol's poll and
    # her quote of a status with a poll, beside plain statuses
    alice.follow(bob)
    home(alice)
    bob.post("plain")
    bob.post("bob asks", **POLL)
    asked = carol.post("carol asks", **POLL)
    bob.post("bob quotes", quoted_status_id=asked["id"])
    quoting = carol.post("carol quotes", quoted_status_id=asked["id"])
    for status in (asked, quoting):
        response = bob.client.post(f"/api/v1/statuses/{status['id']}/reblog")
        assert response.status_code == 200, response.json()

    # when alice reads her home page through the store, then from the database alone
    through_store = home(alice)
    settings.REDIS_URL = ""
    from_database = home(alice)

    # then the pages are the same, polls and quotes included
    assert through_store == from_database
    assert len(through_store) == 5
    polls = [s["poll"] or (s["reblog"] or {}).get("poll") for s in through_store]
    assert sum(p is not None for p in polls) == 2
    quotes = [s["quote"] or (s["reblog"] or {}).get("quote") for s in through_store]
    assert sum(q is not None for q in quotes) == 2


@pytest.mark.django_db(transaction=True)
def test_a_store_page_reads_polls_and_quotes_in_one_query_each_and_none_without(
    alice, bob, carol, store
):
    # given alice's warm feed of bob's plain statuses, read once (what is cached per
    # viewer is read then)
    alice.follow(bob)
    home(alice)
    for i in range(3):
        bob.post(f"plain {i}")
    home(alice)

    # when she reads the page again
    plain = queries_of(alice)

    # then neither polls nor quotes are queried
    assert not [sql for sql in plain if 'FROM "feed_poll"' in sql or 'FROM "feed_quote"' in sql]

    # given one poll and one quote on her page
    asked = carol.post("carol asks", **POLL)
    bob.post("bob asks 0", **POLL)
    bob.post("bob quotes 0", quoted_status_id=asked["id"])
    home(alice)
    one_each = queries_of(alice)

    # when more polls, quotes and a reblog of a poll join the page
    for i in range(1, 4):
        bob.post(f"bob asks {i}", **POLL)
        bob.post(f"bob quotes {i}", quoted_status_id=asked["id"])
    bob.client.post(f"/api/v1/statuses/{asked['id']}/reblog")
    home(alice)
    many = queries_of(alice)

    # then the page costs the same queries: the polls and the quotes of its rows are read
    # in one query each, whatever their number
    assert len(many) == len(one_each), "\n---\n".join(
        "\n".join(sql[:140] for sql in run) for run in (one_each, many)
    )
    assert len([sql for sql in many if sql.startswith('SELECT "feed_poll"')]) == 1
    assert len([sql for sql in many if sql.startswith('SELECT "feed_quote"')]) == 1
