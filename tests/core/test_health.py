"""Liveness (/healthz) and readiness (/readyz) probes."""

from datetime import timedelta

import pytest
from django.db import connections
from django.db.utils import load_backend
from django.test import override_settings
from django.utils import timezone

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def _worker_alive(request):
    """A Celery worker reported in a moment ago (tests that need no worker ask for
    ``no_worker``)."""
    if "django_db" not in request.keywords or "no_worker" in request.fixturenames:
        return
    request.getfixturevalue("db")
    from core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(hostname="celery@test", last_seen_at=timezone.now())


@pytest.fixture
def no_worker():
    """No heartbeat: no Celery worker ever reported in."""


@pytest.fixture
def unreachable_database():
    """The default database alias points at a PostgreSQL port nobody listens on.

    The real connection is put back before pytest-django rolls the test back.
    """
    settings_dict = {
        **connections["default"].settings_dict,
        "ENGINE": "django_prometheus.db.backends.postgresql",
        "NAME": "agora",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": "1",
        "OPTIONS": {"connect_timeout": 2},
        "CONN_MAX_AGE": 0,
    }
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    original = connections["default"]
    connections._connections.default = wrapper
    try:
        yield
    finally:
        connections._connections.default = original
        wrapper.close()


def test_healthz_answers_ok_without_touching_the_database(client):
    # given a running process, and no database access allowed (pytest-django blocks it)
    # when the liveness probe asks
    response = client.get("/healthz")

    # then it answers ok and is never cached
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_every_check_when_all_are_up(client, settings, tmp_path):
    # given the embedded defaults: a database, local memory cache, file broker, local storage
    # (and billing and live ingest configured: without Stripe keys or the callback secret
    # each is reported as an optional part)
    settings.STRIPE_IS_CONFIGURED = True
    settings.DJSTRIPE_WEBHOOK_SECRET = "whsec_test"
    settings.LIVE_CALLBACK_SECRET = "live-test"
    # when the readiness probe asks
    response = client.get("/readyz")

    # then every check is reported ok with its latency
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert sorted(body["checks"]) == ["broker", "cache", "database", "storage", "worker"]
    for result in body["checks"].values():
        assert result["status"] == "ok"
        assert isinstance(result["latency_ms"], float)
    # and the storage probe left nothing behind
    assert list((tmp_path / "media").iterdir()) == []


@pytest.mark.django_db
def test_readyz_is_503_naming_the_database_when_it_is_down(client, unreachable_database):
    # given the database server does not answer
    # when the readiness probe asks
    response = client.get("/readyz")

    # then it is 503 naming the database, and the other checks still pass
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["failing"] == ["database"]
    assert body["checks"]["database"]["status"] == "error"
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert body["checks"]["cache"]["status"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_naming_the_cache_when_redis_is_down(client):
    # given the cache is a Redis server that does not answer
    redis_cache = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    with override_settings(CACHES=redis_cache):
        # when the readiness probe asks
        response = client.get("/readyz")

    # then it is 503 naming the cache
    body = response.json()
    assert response.status_code == 503
    assert body["failing"] == ["cache"]
    assert body["checks"]["cache"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_redis_broker_is_down(client, settings):
    # given the Celery broker is a Redis server that does not answer
    settings.CELERY_BROKER_URL = UNREACHABLE_REDIS
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    # when the readiness probe asks
    response = client.get("/readyz")

    # then it is 503 naming the broker
    body = response.json()
    assert response.status_code == 503
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["error"] == "OperationalError"


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_its_folders_are_missing(client, settings, tmp_path):
    # given the file broker's queue folder does not exist
    missing = str(tmp_path / "missing")
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": missing,
        "data_folder_out": missing,
        "processed_folder": str(tmp_path),
    }

    # when the readiness probe asks
    response = client.get("/readyz")

    # then it is 503 naming the broker
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


@pytest.mark.django_db
def test_readyz_is_503_naming_the_storage_when_it_cannot_write(client, settings, tmp_path):
    # given media storage points below a plain file, where nothing can be written
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "media")},
        },
    }

    # when the readiness probe asks
    response = client.get("/readyz")

    # then it is 503 naming the storage
    body = response.json()
    assert response.status_code == 503
    assert body["failing"] == ["storage"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
@pytest.mark.django_db
def test_probes_are_not_redirected_to_https(client, settings, path):
    # given HTTPS is enforced
    settings.SECURE_SSL_REDIRECT = True

    # when a probe asks over plain HTTP
    response = client.get(path)

    # then it is answered, not redirected
    assert response.status_code == 200


@pytest.mark.django_db
def test_other_paths_are_still_redirected_to_https(client, settings):
    # given HTTPS is enforced
    settings.SECURE_SSL_REDIRECT = True

    # when anything else is asked over plain HTTP
    response = client.get("/api/v1/instance")

    # then it is redirected
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/v1/instance"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_probes_answer_only_get(client, method):
    response = getattr(client, method)("/healthz")

    assert response.status_code == 405


@pytest.mark.django_db
def test_readyz_is_503_naming_the_worker_when_none_ever_reported_in(client, no_worker):
    # given no Celery worker has ever written a heartbeat
    # when the readiness probe asks
    response = client.get("/readyz")

    # then it is 503 naming the worker, with a reason
    body = response.json()
    assert response.status_code == 503
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["error"] == "ReadinessProblem"
    assert body["checks"]["worker"]["detail"] == (
        "no Celery worker has reported in: background jobs and domain events wait"
    )


@pytest.mark.django_db
def test_readyz_is_503_naming_the_worker_when_its_heartbeat_is_stale(client, settings, no_worker):
    # given the only worker last reported in five minutes ago
    from core.models import WorkerHeartbeat

    settings.WORKER_HEARTBEAT_MAX_AGE = 60
    WorkerHeartbeat.objects.create(
        hostname="celery@gone", last_seen_at=timezone.now() - timedelta(minutes=5)
    )

    # when the readiness probe asks
    response = client.get("/readyz")

    # then it is 503 naming the worker and how long it has been silent
    body = response.json()
    assert response.status_code == 503
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["detail"].startswith("no Celery worker has reported in for 3")
    assert body["checks"]["worker"]["detail"].endswith(
        "s (limit 60 s): background jobs and domain events wait"
    )


@pytest.mark.django_db
def test_readyz_needs_no_worker_when_tasks_run_eagerly(client, settings, no_worker):
    # given tasks run in the calling process
    settings.CELERY_TASK_ALWAYS_EAGER = True

    # when the readiness probe asks, then it is ready without a worker
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_a_worker_reporting_in_makes_readyz_ready_and_a_clean_stop_unready(client, no_worker):
    # given a worker that reports in
    from core.health import worker_heartbeat, worker_stopped

    worker_heartbeat(hostname="celery@here")

    # then readiness passes
    assert client.get("/readyz").status_code == 200

    # when the worker shuts down cleanly, then readiness fails at once
    worker_stopped(hostname="celery@here")
    assert client.get("/readyz").json()["failing"] == ["worker"]
