"""An exhausted or unreachable PostgreSQL answers 503 with ``Retry-After`` within the pool's
timeout, never a 500 after ten seconds, and the API recovers by itself (issue 10, item 9).

The pool is psycopg_pool's, shrunk to one connection, which another thread holds.
"""

import threading
import time

import pytest
from django.db import connection, connections

from tests.api_client import APIClient

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# No account needs to exist: a 404 is the database answering.
PATH = "/api/v1/accounts/1"


def _reopen_pool(options: dict) -> None:
    """Closes the process's pool; the next connection opens one with ``options``."""
    connections.close_all()
    connection.close_pool()
    connection.settings_dict["OPTIONS"]["pool"] = options


@pytest.fixture
def pool_of_one(settings):
    """The pool holds one connection and waits the configured time for it."""
    configured = dict(settings.DATABASES["default"]["OPTIONS"]["pool"])
    assert configured["timeout"] <= 2, "DATABASE_POOL_TIMEOUT defaults to a second or two"
    _reopen_pool({**configured, "min_size": 1, "max_size": 1})
    yield configured["timeout"]
    _reopen_pool(configured)


def get_from_another_thread(path: str):
    """``path`` through the test client on a thread of its own, as a server would run it.

    Returns the response and the seconds it took.
    """
    answer = {}

    def run():
        started = time.monotonic()
        try:
            answer["response"] = APIClient(raise_request_exception=False).get(path)
        finally:
            answer["elapsed"] = time.monotonic() - started
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return answer["response"], answer["elapsed"]


def test_an_exhausted_pool_answers_503_with_retry_after(pool_of_one):
    # given the pool's only connection held (by this thread, as by a slow request)
    connection.ensure_connection()

    # when another request needs the database
    response, elapsed = get_from_another_thread(PATH)

    # then it is told to retry, after waiting no longer than the pool's timeout
    assert response.status_code == 503, response.content[:300]
    assert response.json() == {"error": "The service is temporarily unavailable, try again shortly"}
    assert int(response["Retry-After"]) >= 1
    assert elapsed < pool_of_one + 1.5, elapsed


def test_the_api_recovers_once_the_connection_is_free_again(pool_of_one):
    connection.ensure_connection()
    refused, _elapsed = get_from_another_thread(PATH)

    connection.close()  # back to the pool
    answered, _elapsed = get_from_another_thread(PATH)

    assert refused.status_code == 503
    assert answered.status_code == 404
