"""The platform's own metrics at /metrics (core.metrics): what the alert rules in
deploy/monitoring/alerts.yaml read. Each is checked through a real scrape."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from kombu import Connection, Exchange
from kombu import Queue as KombuQueue
from kombu.exceptions import OperationalError as BrokerUnavailable
from psycopg_pool import PoolTimeout

from config.settings.cache import redis_cache
from core import exceptions, metrics
from core.models import BackgroundJob, WorkerHeartbeat
from tests.api_client import APIClient
from tests.core.test_outages import RedisServer
from tests.metrics_scrape import sample, scrape

Status = BackgroundJob.Status


COUNTERS = {
    "agora_service_unavailable_total": metrics.service_unavailable_total,
    "agora_rate_limited_total": metrics.rate_limited_total,
    "agora_authentication_failures_total": metrics.authentication_failures_total,
}


def counter(name: str, **labels: str) -> float:
    """A counter's value, read from the counter alone: collecting the whole registry would
    also run the scrape-time collectors, which query the database."""
    for family in COUNTERS[name].collect():
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return 0.0


@pytest.fixture
def file_broker(settings, tmp_path):
    """A filesystem broker of this test's own (the embedded default's transport)."""
    folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    settings.CELERY_BROKER_URL = "filesystem://localhost//"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
    }
    return settings


def send(url: str, options: dict, queue: str, count: int) -> None:
    """``count`` messages straight into ``queue``, by the default (nameless) exchange: the
    transport keeps exchanges' bindings per process, and an exchange named like the queue
    may be bound elsewhere by an earlier test."""
    with Connection(url, transport_options=options) as connection:
        producer = connection.Producer()
        for number in range(count):
            producer.publish(
                {"task": "core.readiness_probe", "n": number},
                exchange="",
                routing_key=queue,
                declare=[KombuQueue(queue, Exchange(""), routing_key=queue)],
            )


@pytest.mark.django_db
def test_the_scrape_reports_the_database_up_and_the_queue_lengths(file_broker):
    send(file_broker.CELERY_BROKER_URL, file_broker.CELERY_BROKER_TRANSPORT_OPTIONS, "celery", 2)
    samples = scrape()

    assert sample(samples, "agora_database_up", alias="default") == 1
    assert sample(samples, "agora_celery_broker_up") == 1
    assert sample(samples, "agora_celery_queue_length", queue="celery") == 2
    # every queue the routing sends to is reported, empty or not
    assert sample(samples, "agora_celery_queue_length", queue="moderation") == 0
    assert sample(samples, "agora_celery_queue_length", queue="media") == 0
    # Without REDIS_URL the cache is local memory: no Redis to report on.
    assert not [key for key in samples if key[0] == "agora_redis_up"]
    # SQLite has no connection pool; PostgreSQL's is reported
    pool_size = sample(samples, "agora_database_pool_max_size", alias="default")
    if connection.vendor == "sqlite":
        assert pool_size is None
    else:
        assert pool_size == file_broker.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]


@pytest.mark.django_db
def test_workers_alive_count_only_fresh_heartbeats(settings, file_broker):
    settings.WORKER_HEARTBEAT_MAX_AGE = 60
    now = timezone.now()
    WorkerHeartbeat.objects.create(hostname="celery@a", last_seen_at=now - timedelta(seconds=5))
    WorkerHeartbeat.objects.create(hostname="celery@b", last_seen_at=now - timedelta(minutes=5))

    samples = scrape()

    assert sample(samples, "agora_celery_workers_alive") == 1
    assert 5 <= sample(samples, "agora_celery_worker_heartbeat_age_seconds") < 30


@pytest.mark.django_db
def test_without_any_heartbeat_no_worker_is_alive_and_no_age_is_reported(file_broker):
    samples = scrape()

    assert sample(samples, "agora_celery_workers_alive") == 0
    assert sample(samples, "agora_celery_worker_heartbeat_age_seconds") is None


@pytest.mark.django_db
def test_a_running_job_whose_heartbeat_stopped_is_stuck(settings, file_broker):
    settings.JOBS_HEARTBEAT_TIMEOUT = 180
    now = timezone.now()
    long_ago = now - timedelta(minutes=10)
    kind = "media.process"
    BackgroundJob.objects.create(
        kind=kind, status=Status.STARTED, started_at=long_ago, heartbeat_at=long_ago
    )
    BackgroundJob.objects.create(
        kind=kind, status=Status.PROGRESS, started_at=long_ago, heartbeat_at=now
    )
    BackgroundJob.objects.create(kind=kind, status=Status.STARTED, started_at=now)
    BackgroundJob.objects.create(kind=kind, status=Status.PENDING)
    BackgroundJob.objects.create(kind=kind, status=Status.FAILURE, started_at=long_ago)

    samples = scrape()

    assert sample(samples, "agora_background_jobs_stuck", kind=kind) == 1
    assert sample(samples, "agora_background_jobs", kind=kind, status="STARTED") == 2
    assert sample(samples, "agora_background_jobs", kind=kind, status="PROGRESS") == 1
    assert sample(samples, "agora_background_jobs", kind=kind, status="PENDING") == 1
    assert sample(samples, "agora_background_jobs", kind=kind, status="FAILURE") is None


@pytest.mark.django_db
def test_the_scrape_costs_a_few_queries(file_broker, django_assert_max_num_queries):
    from core.metrics import PlatformCollector

    # SELECT 1, the heartbeats, the jobs, and one per app that registered a collector.
    with django_assert_max_num_queries(3 + len(metrics._collectors)):
        list(PlatformCollector().collect())


def _raised(error: BaseException, cause: BaseException | None = None) -> BaseException:
    try:
        raise error from cause
    except BaseException as caught:
        return caught


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (
            _raised(OperationalError("timeout"), PoolTimeout("no connection in 2 s")),
            "database_pool",
        ),
        (_raised(OperationalError("connection refused")), "database"),
        (_raised(InterfaceError("connection already closed")), "database"),
        (_raised(redis.ConnectionError("refused")), "redis"),
        (_raised(BrokerUnavailable("refused")), "broker"),
    ],
    ids=["pool-timeout", "database", "interface", "redis", "broker"],
)
def test_each_outage_is_counted_under_its_cause(error, cause):
    before = counter("agora_service_unavailable_total", cause=cause)

    answer = exceptions.platform_error(error)

    assert isinstance(answer, exceptions.ServiceUnavailable)
    assert counter("agora_service_unavailable_total", cause=cause) == before + 1


@pytest.mark.django_db
def test_requests_over_their_budget_are_counted_by_scope(settings):
    settings.AGORA_THROTTLE_ENABLED = True
    rates = {"default": "300/5m", "oauth_app": "1/5m"}
    settings.AGORA_THROTTLE_RATES = {"anonymous": rates, "free": rates}
    before = counter("agora_rate_limited_total", scope="oauth_app")
    client = APIClient()
    body = {"client_name": "metrics", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}

    assert client.post("/api/v1/apps", body, format="json").status_code == 200
    assert client.post("/api/v1/apps", body, format="json").status_code == 429

    assert sample(scrape(), "agora_rate_limited_total", scope="oauth_app") == before + 1


@pytest.mark.django_db
def test_an_unknown_bearer_token_is_counted_as_an_authentication_failure():
    before = counter("agora_authentication_failures_total", method="token")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert client.get("/api/v1/accounts/verify_credentials").status_code == 401
    assert client.get("/api/v1/instance").status_code == 200

    assert sample(scrape(), "agora_authentication_failures_total", method="token") == before + 1


@pytest.fixture
def redis_everywhere(settings, tmp_path):
    """Cache and broker on a private redis-server that the test may stop."""
    server = RedisServer(tmp_path)
    server.start()
    local_caches = settings.CACHES
    settings.CACHES = {"default": redis_cache(server.url)}
    settings.REDIS_URL = server.url
    settings.CELERY_BROKER_URL = server.url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    settings.AGORA_THROTTLE_ENABLED = True
    yield server
    settings.CACHES = local_caches
    settings.REDIS_URL = ""
    server.stop()


@pytest.mark.django_db
def test_redis_and_the_broker_are_reported_up_then_down_and_the_scrape_still_answers(
    redis_everywhere,
):
    send(redis_everywhere.url, {}, "celery", 3)

    samples = scrape()

    assert sample(samples, "agora_redis_up", cache="default") == 1
    assert sample(samples, "agora_celery_broker_up") == 1
    assert sample(samples, "agora_celery_queue_length", queue="celery") == 3

    redis_everywhere.stop()
    before = counter("agora_service_unavailable_total", cause="redis")
    body = {"client_name": "metrics", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
    assert APIClient().post("/api/v1/apps", body, format="json").status_code == 503

    samples = scrape()

    assert sample(samples, "agora_redis_up", cache="default") == 0
    assert sample(samples, "agora_celery_broker_up") == 0
    assert sample(samples, "agora_celery_queue_length", queue="celery") is None
    assert sample(samples, "agora_database_up", alias="default") == 1
    assert sample(samples, "agora_service_unavailable_total", cause="redis") == before + 1
