"""Outages degrade, never 500: with Redis or the database unreachable the API answers 503
with ``Retry-After`` in Mastodon's error shape within a second or two, and recovers by
itself when the service returns (issue 10, item 8; the pool half of item 9 is in
tests/integration/test_outages_database.py).

Redis here is a redis-server this test starts on a free port and stops, never the
shared one.
"""

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis
from django.db import connection
from prometheus_client import REGISTRY

from apps.accounts.models import Application
from config.settings.cache import redis_cache
from tests.api_client import APIClient

OUTAGE_ANSWER_SECONDS = 2.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A private redis-server on a free port that a test can stop, pause and restart."""

    def __init__(self, directory):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            # Never a skip: `make test` installs it (make system); a skip would hide it.
            pytest.fail("redis-server is not installed: run `make system` (Debian's redis-server)")
        self.process = subprocess.Popen(  # noqa: S603
            [
                binary,
                "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def pause(self) -> None:
        """The server keeps its socket but answers nothing (a hung or partitioned Redis)."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None:
        server.resume()
    server.stop()


@pytest.fixture
def redis_settings(settings, redis_server):
    """The cache, rate limits and feed store on the private Redis, as production configures them."""
    local_caches = settings.CACHES
    settings.CACHES = {"default": redis_cache(redis_server.url)}
    settings.REDIS_URL = redis_server.url
    settings.AGORA_THROTTLE_ENABLED = True
    yield redis_server
    # Before the suite's fixture clears the cache: not a Redis that may be down.
    settings.CACHES = local_caches
    settings.REDIS_URL = ""


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def assert_unavailable(response, elapsed: float) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"error"}
    assert int(response["Retry-After"]) >= 1
    assert elapsed < OUTAGE_ANSWER_SECONDS, elapsed


def register_app(client):
    return client.post(
        "/api/v1/apps",
        {"client_name": "outage", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"},
        format="json",
    )


def store_errors() -> float:
    return REGISTRY.get_sample_value("agora_rate_limit_store_errors_total") or 0.0


@pytest.mark.django_db
def test_with_redis_up_the_api_answers(redis_settings):
    client = APIClient()

    assert client.get("/api/v1/instance").status_code == 200
    assert register_app(client).status_code == 200


@pytest.mark.django_db
def test_with_redis_down_a_write_is_503_with_retry_after_and_writes_nothing(redis_settings):
    redis_settings.stop()
    apps_before = Application.objects.count()

    response, elapsed = timed(lambda: register_app(APIClient()))

    assert_unavailable(response, elapsed)
    assert Application.objects.count() == apps_before


@pytest.mark.django_db
def test_with_redis_down_the_instance_is_503_with_retry_after(redis_settings):
    # given Redis down (the instance's counts are cached there)
    redis_settings.stop()

    # when an anonymous client asks for the instance
    response, elapsed = timed(lambda: APIClient().get("/api/v1/instance"))

    # then it is told to come back, quickly
    assert_unavailable(response, elapsed)


@pytest.mark.django_db
def test_with_redis_down_reads_that_need_only_the_database_are_served(redis_settings, user, caplog):
    # given Redis, which counts the rate limits, down
    redis_settings.stop()
    errors_before = store_errors()

    # when an anonymous client looks an account up (the database alone answers that)
    response, elapsed = timed(
        lambda: APIClient().get("/api/v1/accounts/lookup", {"acct": user.username})
    )

    # then it is served without a limit, and the open limiter is logged and counted
    assert response.status_code == 200, response.content[:300]
    assert response.json()["username"] == user.username
    assert elapsed < OUTAGE_ANSWER_SECONDS
    assert "X-RateLimit-Remaining" not in response
    assert store_errors() == errors_before + 1
    assert any("rate limit store unavailable" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db
def test_with_redis_down_the_home_timeline_is_503(redis_settings, auth_client):
    redis_settings.stop()

    response, elapsed = timed(lambda: auth_client.get("/api/v1/timelines/home"))

    assert_unavailable(response, elapsed)


@pytest.mark.django_db
def test_with_redis_hung_a_write_is_503_within_the_socket_timeout(redis_settings):
    # given a Redis that accepts connections but never answers
    APIClient().get("/api/v1/instance")  # the pool holds an open connection
    redis_settings.pause()

    response, elapsed = timed(lambda: register_app(APIClient()))

    assert_unavailable(response, elapsed)


@pytest.mark.django_db
def test_the_api_recovers_by_itself_when_redis_returns(redis_settings):
    client = APIClient()
    redis_settings.stop()
    assert register_app(client).status_code == 503

    redis_settings.start()

    assert register_app(client).status_code == 200
    assert client.get("/api/v1/instance").has_header("X-RateLimit-Remaining")


# The database


@pytest.fixture
def unreachable_database(transactional_db, tmp_path):
    """The default database's file cannot be opened (SQLite's "unable to open database file")."""
    real_name = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = str(tmp_path / "missing" / "agora.sqlite3")
    yield
    connection.close()
    connection.settings_dict["NAME"] = real_name


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the database is made unreachable through SQLite's file"
)
def test_with_the_database_unreachable_the_api_is_503(unreachable_database):
    response, elapsed = timed(
        lambda: APIClient(raise_request_exception=False).get("/api/v1/instance")
    )

    assert_unavailable(response, elapsed)


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the database is made unreachable through SQLite's file"
)
def test_with_the_database_unreachable_a_debug_api_is_503_too(unreachable_database, settings):
    settings.DEBUG = True

    response, elapsed = timed(
        lambda: APIClient(raise_request_exception=False).get("/api/v1/instance")
    )

    assert_unavailable(response, elapsed)
