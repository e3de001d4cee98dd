"""Agora against the real services: PostgreSQL, the channels-redis layer and a Celery worker."""

import time
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.jobs import job_create
from core.models import BackgroundJob
from core.tasks import readiness_probe_task
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.integration

TASK_SECONDS = 30


@pytest.fixture
def worker_reported_in(celery_worker_process):
    """The real worker's heartbeat is in the database (/readyz checks it)."""
    from core.models import WorkerHeartbeat

    deadline = time.monotonic() + TASK_SECONDS
    while not WorkerHeartbeat.objects.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"the worker wrote no heartbeat:\n{celery_worker_process.worker_log()}")
        time.sleep(0.5)


def test_the_database_is_postgresql_with_every_migration_applied(db):
    # given the test database pytest-django created and migrated
    executor = MigrationExecutor(connection)

    # when the migration plan to the latest state is computed
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())

    # then it is PostgreSQL and nothing is left to apply
    assert connection.vendor == "postgresql"
    assert plan == []


def test_a_model_round_trips_through_postgresql(db):
    # given a user and a job with a JSON result saved to PostgreSQL
    owner = UserFactory(username="integration_owner")
    job = BackgroundJob.objects.create(
        owner=owner, kind="integration", result={"ids": [1, 2], "note": "ünïcode"}
    )

    # when they are read back
    loaded = BackgroundJob.objects.select_related("owner").get(pk=job.pk)

    # then every field survived the trip
    assert loaded.owner.username == "integration_owner"
    assert loaded.result == {"ids": [1, 2], "note": "ünïcode"}
    assert loaded.status == BackgroundJob.Status.PENDING
    assert loaded.pk > 0


def test_requests_borrow_postgresql_connections_from_the_pool(
    transactional_db, worker_reported_in, client
):
    # given the default settings on PostgreSQL: a psycopg_pool per process
    connection.ensure_connection()
    pool = connection.pool
    assert pool is not None
    opened = pool.get_stats().get("connections_num", 0)

    # when requests come one after another, each returning its connection
    for _ in range(5):
        assert client.get("/readyz").status_code == 200
        connection.close()

    # then they reuse the pool's connections: a connection per request would open 5
    stats = pool.get_stats()
    assert stats["requests_num"] >= 5
    assert stats.get("connections_num", 0) - opened < 5


def test_a_message_round_trips_through_the_redis_channel_layer():
    # given the channels-redis layer with a channel in a fresh group
    layer = get_channel_layer()
    group = f"integration-{uuid.uuid4().hex}"
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)

    # when a message is sent to the group
    async_to_sync(layer.group_send)(group, {"type": "integration.ping", "text": "hello"})

    # then the channel receives it unchanged
    message = async_to_sync(layer.receive)(channel)
    async_to_sync(layer.group_discard)(group, channel)
    assert type(layer).__module__ == "channels_redis.core"
    assert message == {"type": "integration.ping", "text": "hello"}


def test_a_real_celery_worker_runs_a_task_and_writes_to_postgresql(
    transactional_db, celery_worker_process
):
    # given a committed job the worker can see
    job = job_create(owner=None, kind="core.readiness_probe")

    # when its probe task is enqueued on the Redis broker
    sent = readiness_probe_task.delay(job_id=job.pk)

    # then the worker process (not this one) marks the job done in PostgreSQL
    deadline = time.monotonic() + TASK_SECONDS
    job.refresh_from_db()
    while not job.is_finished and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCESS, celery_worker_process.worker_log()
    assert job.task_id == sent.id
    assert job.attempts == 1
    assert job.progress == 100
    assert job.result["database"] == "postgresql"
    assert job.result["pid"] == celery_worker_process.pid
    assert job.started_at is not None
    assert job.finished_at is not None


def test_readyz_reports_every_real_service_ok(db, worker_reported_in, client):
    # given PostgreSQL, Redis (cache and broker), media storage and a worker all reachable

    # when the readiness probe is asked
    response = client.get("/readyz")

    # then every check passes
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "storage": "ok",
        "worker": "ok",
    }
