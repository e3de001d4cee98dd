"""One trace from a request on PostgreSQL and Redis into the Celery worker that runs its task.

The test process plays the web process, traced into the SDK's in-memory exporter; the
worker is a real ``celery worker`` of this test's own (on a private queue), traced as
production traces it: its entry point sets tracing up from the OTLP endpoint in its
environment, and its spans reach a tiny OTLP/HTTP collector in this process.
"""

from __future__ import annotations

import pytest
from django.db import connections
from opentelemetry import trace
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from core import tracing
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient
from tests.integration.crash import Worker, private_queue
from tests.otlp_collector import OtlpCollector

pytestmark = pytest.mark.integration

CLIENT = ProtoSpan.SPAN_KIND_CLIENT


@pytest.fixture
def web_spans(settings):
    """This process traced like a web process, its spans in memory.

    Its database connections are reopened once instrumented (the pool's too), as a web
    process's are opened after its entry point set tracing up.
    """
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.instrument(tracer_provider=provider)
    for connection in connections.all():
        connection.close()
        connection.close_pool()
    yield exporter
    tracing.uninstrument()
    for connection in connections.all():
        connection.close()
        connection.close_pool()
    provider.shutdown()


@pytest.fixture
def collector():
    found = OtlpCollector().start()
    yield found
    found.stop()


@pytest.fixture(
    params=[
        pytest.param("solo", id="solo"),
        pytest.param("threads", id="threads"),
        pytest.param("prefork", id="prefork"),
    ]
)
def traced_worker(request, transactional_db, collector, tmp_path, settings):
    """A worker of this test's own on each pool, exporting its spans to ``collector``.

    Solo and threads set tracing up when the worker starts, prefork in each child.
    """
    settings.EVENTS_RELAY_IN_PROCESS = False
    with private_queue() as queue:
        worker = Worker(
            name="traced",
            log_dir=tmp_path,
            queue=queue,
            pool=request.param,
            env={
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "200",
                "EVENTS_RELAY_IN_PROCESS": "false",
                "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            },
        )
        try:
            worker.wait_ready()
            yield worker
        finally:
            worker.stop()


def test_a_request_and_the_task_it_enqueues_are_one_trace(traced_worker, collector, web_spans):
    # given an account following another through the API
    follower, followee = UserFactory(username="tracing_fan"), UserFactory(username="tracing_star")
    client = APIClient()
    token = AccessTokenFactory(user=follower, scope="read write follow").token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    # when the follow request is made (its feed merge runs on the worker, after commit)
    response = client.post(f"/api/v1/accounts/{followee.pk}/follow")
    assert response.status_code == 200, response.json()

    # then the request is a server span whose queries are psycopg spans under it
    finished = web_spans.get_finished_spans()
    (server,) = [s for s in finished if s.kind == trace.SpanKind.SERVER]
    assert server.attributes["http.route"] == "api/v1/accounts/<id:account_id>/follow"
    trace_id = trace.format_trace_id(server.context.trace_id)
    queries = [
        s
        for s in finished
        if s.attributes.get("db.system") == "postgresql"
        and s.context.trace_id == server.context.trace_id
    ]
    assert queries
    assert {q.parent.span_id for q in queries} == {server.context.span_id}
    # and the task was sent from it, carrying its context
    (publish,) = [s for s in finished if s.name == "apply_async/feed.merge"]
    assert publish.context.trace_id == server.context.trace_id

    # and the worker ran the task in the same trace, as the child of the send
    received = collector.wait_for(
        lambda spans: (
            any(s.name == "run/feed.merge" for s in spans)
            and any(s.attributes.get("db.system") == "redis" for s in spans)
        )
    )
    (run,) = [s for s in received if s.name == "run/feed.merge"]
    assert run.service == "agora-worker"
    assert run.trace_id == trace_id
    assert run.parent_span_id == trace.format_span_id(publish.context.span_id)
    assert run.attributes["celery.state"] == "SUCCESS"
    # with its PostgreSQL queries and Redis commands under it
    under_run = [s for s in received if s.parent_span_id == run.span_id]
    assert {s.attributes.get("db.system") for s in under_run} >= {"postgresql", "redis"}
    # and the worker's housekeeping (heartbeat, broker polling) makes no traces of its own
    assert not [s.name for s in received if not s.parent_span_id and s.kind == CLIENT]
