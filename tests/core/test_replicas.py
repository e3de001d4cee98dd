"""Read replicas (core.replicas): which database each request reads, and the settings.

The replica here is a second connection to the test's SQLite file (as TEST MIRROR
makes it in a test run), so what the tests see is which connection ran the queries.
The tests are transactional: inside the test's own atomic block every read goes to
the primary, by design.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.db import connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from apps.feed.models import Status
from config.settings.database import replica_databases
from core import replicas
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient
from tests.feed.factories import StatusFactory

ROOT = Path(__file__).resolve().parents[2]
ROUTER = "core.replicas.ReplicaRouter"


def _add_alias(alias: str, config: dict) -> None:
    """A connection for ``alias``, made as Django makes one from ``DATABASES``.

    Its settings are taken back out of ``DATABASES`` once it exists: Django's test case
    lets a test use such a dynamically created connection, and refuses one it did not
    list in the test's databases.
    """
    connections.configure_settings({"default": connections.settings["default"], alias: config})
    connections.settings[alias] = config
    try:
        connections[alias]  # noqa: B018 (creates the connection)
    finally:
        del connections.settings[alias]


def _remove_alias(alias: str) -> None:
    connections[alias].close()
    del connections[alias]


@pytest.fixture
def replica(transactional_db, settings):
    """``replica_1``: the test database on a connection of its own, with the router on."""
    alias = "replica_1"
    config = {
        key: value for key, value in connections["default"].settings_dict.items() if key != "TEST"
    }
    _add_alias(alias, {**config, "TEST": {"MIRROR": "default"}})
    settings.DATABASE_REPLICAS = [alias]
    settings.DATABASE_ROUTERS = [ROUTER]
    replicas.health.statuses.clear()
    yield alias
    replicas.health.statuses.clear()
    _remove_alias(alias)


class Reads:
    """Queries the primary and the replica ran while the block ran."""

    def __init__(self, replica_alias: str = "replica_1") -> None:
        self.primary = CaptureQueriesContext(connections["default"])
        self.replica = CaptureQueriesContext(connections[replica_alias])

    def __enter__(self) -> Reads:
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    def on_primary(self, table: str) -> int:
        return sum(table in query["sql"] for query in self.primary.captured_queries)

    def on_replica(self, table: str) -> int:
        return sum(table in query["sql"] for query in self.replica.captured_queries)


STATUS_TABLE = f'"{Status._meta.db_table}"'
TOKEN_TABLE = '"oauth2_provider_accesstoken"'


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token = AccessTokenFactory(user=user).token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_an_anonymous_read_goes_to_the_replica(replica):
    status = StatusFactory()

    with Reads() as reads:
        response = client_for().get(f"/api/v1/statuses/{status.pk}")

    assert response.status_code == 200
    assert reads.on_replica(STATUS_TABLE) >= 1
    assert len(reads.primary.captured_queries) == 0


def test_the_token_is_checked_on_the_primary_and_the_selector_reads_the_replica(replica):
    status = StatusFactory()
    client = client_for(UserFactory())

    with Reads() as reads:
        response = client.get(f"/api/v1/statuses/{status.pk}")

    assert response.status_code == 200
    assert reads.on_primary(TOKEN_TABLE) == 1
    assert reads.on_replica(TOKEN_TABLE) == 0
    assert reads.on_replica(STATUS_TABLE) >= 1
    assert reads.on_primary(STATUS_TABLE) == 0


def test_a_write_reads_and_writes_the_primary_only(replica):
    client = client_for(UserFactory())

    with Reads() as reads:
        response = client.post("/api/v1/statuses", {"status": "hello"}, format="json")

    assert response.status_code == 200
    assert reads.on_primary(STATUS_TABLE) >= 1
    assert len(reads.replica.captured_queries) == 0


def test_after_writing_an_account_reads_the_primary_until_its_pin_expires(replica, settings):
    settings.DATABASE_REPLICA_PIN_SECONDS = 0.5
    author = UserFactory()
    client = client_for(author)
    posted = client.post("/api/v1/statuses", {"status": "mine"}, format="json").json()

    with Reads() as pinned:
        own = client.get(f"/api/v1/statuses/{posted['id']}")
    with Reads() as other_account:
        seen = client_for(UserFactory()).get(f"/api/v1/statuses/{posted['id']}")
    time.sleep(0.6)
    with Reads() as expired:
        again = client.get(f"/api/v1/statuses/{posted['id']}")

    assert (own.status_code, seen.status_code, again.status_code) == (200, 200, 200)
    assert pinned.on_primary(STATUS_TABLE) >= 1
    assert len(pinned.replica.captured_queries) == 0
    assert other_account.on_replica(STATUS_TABLE) >= 1
    assert other_account.on_primary(STATUS_TABLE) == 0
    assert expired.on_replica(STATUS_TABLE) >= 1
    assert expired.on_primary(STATUS_TABLE) == 0


def test_a_refused_write_pins_the_account_too(replica):
    author = UserFactory()
    client = client_for(author)

    refused = client.post("/api/v1/statuses", {}, format="json")

    assert refused.status_code == 422
    assert replicas._account_is_pinned(author.pk)


def test_a_read_after_a_write_in_the_same_get_goes_to_the_primary(replica):
    # The first API request of the day records the account's activity (an UPDATE):
    # the rest of that request reads the primary.
    status = StatusFactory()
    client = client_for(UserFactory(last_login=None))

    with Reads() as reads:
        response = client.get(f"/api/v1/statuses/{status.pk}")

    assert response.status_code == 200
    assert reads.on_primary('UPDATE "accounts_user"') == 1
    assert reads.on_primary(STATUS_TABLE) >= 1
    assert len(reads.replica.captured_queries) == 0


def test_inside_an_atomic_block_everything_reads_the_primary(replica):
    status = StatusFactory()

    with Reads() as reads, transaction.atomic():
        response = client_for().get(f"/api/v1/statuses/{status.pk}")

    assert response.status_code == 200
    assert reads.on_primary(STATUS_TABLE) >= 1
    assert len(reads.replica.captured_queries) == 0


def test_outside_a_request_reads_go_to_the_primary(replica):
    # Celery tasks, management commands, shells.
    status = StatusFactory()

    with Reads() as reads:
        assert Status.objects.get(pk=status.pk) == status

    assert reads.on_primary(STATUS_TABLE) == 1
    assert len(reads.replica.captured_queries) == 0


def test_pages_outside_the_api_read_the_primary(replica):
    with Reads() as reads:
        response = client_for().get("/admin/login/")

    assert response.status_code == 200
    assert len(reads.replica.captured_queries) == 0


UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # port 1 refuses at once
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


def test_when_the_pin_cannot_be_read_the_account_reads_the_primary(replica):
    # Through the middleware alone: the API's views need the cache themselves (a 503).
    status = StatusFactory()
    account = UserFactory()

    def view(request):
        replicas.account_authenticated(account.pk)
        return HttpResponse(Status.objects.get(pk=status.pk).text)

    middleware = replicas.ReplicaRoutingMiddleware(view)
    with Reads() as cache_up:
        middleware(RequestFactory().get(f"/api/v1/statuses/{status.pk}"))
    with override_settings(CACHES=UNREACHABLE_CACHE), Reads() as cache_down:
        response = middleware(RequestFactory().get(f"/api/v1/statuses/{status.pk}"))

    assert response.content.decode() == status.text
    assert cache_up.on_replica(STATUS_TABLE) == 1
    assert cache_up.on_primary(STATUS_TABLE) == 0
    assert cache_down.on_primary(STATUS_TABLE) == 1
    assert cache_down.on_replica(STATUS_TABLE) == 0


def test_an_unreachable_replica_is_skipped(transactional_db, settings):
    # A PostgreSQL replica on a port nothing listens on: the health check's connection
    # is refused, and the reads go to the primary.
    alias = "replica_1"
    _add_alias(
        alias,
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "agora",
            "USER": "agora",
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": 1,
            "TEST": {"MIRROR": "default"},
        },
    )
    settings.DATABASE_REPLICAS = [alias]
    settings.DATABASE_ROUTERS = [ROUTER]
    replicas.health.statuses.clear()
    status = StatusFactory()
    try:
        with CaptureQueriesContext(connections["default"]) as primary:
            response = client_for().get(f"/api/v1/statuses/{status.pk}")
        checked = replicas.health.statuses[alias]
    finally:
        replicas.health.statuses.clear()
        _remove_alias(alias)

    assert response.status_code == 200
    assert any(STATUS_TABLE in query["sql"] for query in primary.captured_queries)
    assert checked.usable is False


def test_a_get_costs_the_same_queries_with_and_without_the_replica(replica, settings):
    status = StatusFactory()
    client = client_for(UserFactory())
    path = f"/api/v1/statuses/{status.pk}"
    client.get(path)

    with Reads() as routed:
        assert client.get(path).status_code == 200
    settings.DATABASE_REPLICAS = []
    settings.DATABASE_ROUTERS = []
    with Reads() as unrouted:
        assert client.get(path).status_code == 200

    assert len(unrouted.replica.captured_queries) == 0
    assert len(routed.primary.captured_queries) + len(routed.replica.captured_queries) == len(
        unrouted.primary.captured_queries
    )


def test_without_replicas_there_is_no_router_nor_middleware():
    assert django_settings.DATABASE_REPLICAS == []
    assert django_settings.DATABASE_ROUTERS == []
    with pytest.raises(MiddlewareNotUsed):
        replicas.ReplicaRoutingMiddleware(lambda request: None)


def test_writes_and_migrations_stay_on_the_primary():
    router = replicas.ReplicaRouter()

    assert router.db_for_write(Status) == "default"
    assert router.allow_migrate("default", "feed") is True
    assert router.allow_migrate("replica_1", "feed") is False


PRIMARY = {
    "ENGINE": "django_prometheus.db.backends.postgresql",
    "CONN_MAX_AGE": 0,
    "CONN_HEALTH_CHECKS": True,
    "OPTIONS": {"pool": {"min_size": 1, "max_size": 4, "timeout": 2.0}},
}


def test_replica_urls_become_databases_like_the_primary():
    databases = replica_databases(
        "postgres://reader:secret@replica-a:5432/agora, postgresql://reader@replica-b/agora",
        PRIMARY,
    )

    assert list(databases) == ["replica_1", "replica_2"]
    first = databases["replica_1"]
    assert (first["HOST"], first["PORT"], first["USER"], first["PASSWORD"], first["NAME"]) == (
        "replica-a",
        5432,
        "reader",
        "secret",
        "agora",
    )
    assert first["ENGINE"] == PRIMARY["ENGINE"]
    assert first["OPTIONS"] == PRIMARY["OPTIONS"]
    assert first["TEST"] == {"MIRROR": "default"}
    assert databases["replica_2"]["HOST"] == "replica-b"
    assert replica_databases("", PRIMARY) == {}
    assert replica_databases(" , ", PRIMARY) == {}


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        pytest.param(
            "mysql://reader:secret@replica/agora",
            "replica 1 (mysql://replica/agora) is not a PostgreSQL URL",
            id="not-postgres",
        ),
        pytest.param(
            "postgres://r@a/agora,replica.example.com",
            "replica 2 (replica.example.com) is not a PostgreSQL URL",
            id="no-scheme",
        ),
        pytest.param(
            "postgres://reader:secret@replica:port/agora",
            "replica 1 (postgres://replica:port/agora): Port could not be cast",
            id="bad-port",
        ),
        pytest.param(
            "postgres://reader@replica",
            "replica 1 (postgres://replica) must name a host and a database",
            id="no-database",
        ),
    ],
)
def test_a_bad_replica_url_is_refused_with_a_clear_message(urls, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        replica_databases(urls, PRIMARY)

    assert message in str(refused.value)
    assert "secret" not in str(refused.value)


def test_replicas_need_a_postgresql_primary():
    sqlite = {**PRIMARY, "ENGINE": "django_prometheus.db.backends.sqlite3"}

    with pytest.raises(ImproperlyConfigured, match="needs DATABASE_URL to be PostgreSQL"):
        replica_databases("postgres://reader@replica/agora", sqlite)


def _settings_in_subprocess(**extra: str) -> subprocess.CompletedProcess:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'aliases': list(s.DATABASES), 'routers': s.DATABASE_ROUTERS, "
        "'replicas': s.DATABASE_REPLICAS, 'pin': s.DATABASE_REPLICA_PIN_SECONDS}))"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "DJANGO_"))
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **env,
            "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": "postgres://agora@db.example.com:5432/agora",
            **extra,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_environment_configures_replicas_and_the_router():
    configured = _settings_in_subprocess(
        DATABASE_REPLICA_URLS="postgres://agora@replica.example.com/agora",
        DATABASE_REPLICA_PIN_SECONDS="3",
    )
    refused = _settings_in_subprocess(DATABASE_REPLICA_URLS="replica.example.com")

    assert configured.returncode == 0, configured.stderr
    assert json.loads(configured.stdout) == {
        "aliases": ["default", "replica_1"],
        "routers": [ROUTER],
        "replicas": ["replica_1"],
        "pin": 3.0,
    }
    assert refused.returncode != 0
    assert "DATABASE_REPLICA_URLS: replica 1 (replica.example.com) is not a PostgreSQL URL" in (
        refused.stderr
    )
