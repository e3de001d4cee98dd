"""OpenTelemetry tracing: request spans, the tasks they enqueue, the outbox, log lines.

The tests install their own tracer provider with the SDK's in-memory exporter through
``core.tracing.instrument`` (the global provider can be set once a process); the two
tests of the process entry points run ``config.asgi`` in a subprocess, as uvicorn does.
"""

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import transaction
from kombu import Connection
from opentelemetry import trace
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from core import events, queue, tracing
from core.logging import RequestIdFilter
from core.models import OutboxEvent
from tests.otlp_collector import OtlpCollector

BASE_DIR = Path(__file__).resolve().parents[2]
SERVER = ProtoSpan.SPAN_KIND_SERVER


@pytest.fixture
def provider():
    """A tracer provider of the test's own (Agora's sampler), instrumented for the test."""
    return TracerProvider(sampler=tracing.sampler())


@pytest.fixture
def spans(settings, provider):
    """The finished spans of the test (Django, psycopg, Redis and Celery instrumented)."""
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.instrument(tracer_provider=provider)
    yield exporter
    tracing.uninstrument()
    provider.shutdown()


@pytest.fixture
def tracer(spans, provider):
    return provider.get_tracer("tests")


@pytest.fixture
def eager_celery(settings):
    """Celery runs tasks in this process when they are sent."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def log_lines():
    """The JSON lines the configured console handler writes during the test."""
    handler = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in handler.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    handler.setStream(previous)


def hex_ids(span) -> tuple[str, str]:
    return trace.format_trace_id(span.context.trace_id), trace.format_span_id(span.context.span_id)


def root_of(span, finished):
    """The span at the top of ``span``'s parent chain among ``finished``."""
    by_id = {s.context.span_id: s for s in finished}
    while span.parent is not None:
        span = by_id[span.parent.span_id]
    return span


def named(finished, name):
    found = [s for s in finished if s.name == name]
    assert len(found) == 1, [s.name for s in finished]
    return found[0]


@pytest.mark.django_db(transaction=True)
def test_a_request_is_a_server_span_and_the_tasks_it_enqueues_join_its_trace(
    spans, auth_client, eager_celery
):
    # when a status is posted (its publication is assessed by a task, after commit)
    response = auth_client.post("/api/v1/statuses", {"status": "hello"}, format="json")

    # then the request is one server span
    assert response.status_code == 200
    finished = spans.get_finished_spans()
    server = named(finished, "POST api/v1/statuses")
    assert server.kind == trace.SpanKind.SERVER
    assert server.parent is None
    assert server.attributes["http.route"] == "api/v1/statuses"
    assert server.attributes["http.status_code"] == 200
    # and the event delivery and the task it enqueued are in its trace, under it
    for name in ("event.deliver ContentPublished", "run/moderation.assess"):
        child = named(finished, name)
        assert child.context.trace_id == server.context.trace_id
        assert root_of(child, finished) is server
    assert named(finished, "run/moderation.assess").kind == trace.SpanKind.CONSUMER


@pytest.mark.django_db
def test_a_task_sent_after_commit_joins_the_trace_that_asked_for_it(
    tracer, spans, eager_celery, django_capture_on_commit_callbacks
):
    # given a task asked for inside a span, sent after commit once that span has ended
    with django_capture_on_commit_callbacks() as callbacks:
        with tracer.start_as_current_span("asking") as asking, transaction.atomic():
            queue.send_on_commit("core.jobs.reap")
    assert trace.get_current_span() is trace.INVALID_SPAN
    assert len(callbacks) == 1

    # when the commit callback runs, outside any span
    callbacks[0]()

    # then the task runs in the asking trace, as its child
    task = named(spans.get_finished_spans(), "run/core.jobs.reap")
    assert task.context.trace_id == asking.get_span_context().trace_id
    assert task.parent.span_id == asking.get_span_context().span_id


@pytest.mark.django_db(transaction=True)
def test_a_task_sent_outside_any_span_starts_its_own_trace(spans, eager_celery):
    queue.task("core.jobs.reap").delay()

    task = named(spans.get_finished_spans(), "run/core.jobs.reap")
    assert task.parent is None


@pytest.mark.django_db(transaction=True)
def test_the_trace_context_travels_in_the_task_message_to_the_worker(tracer, spans):
    """Through a real broker message (kombu's in-memory transport) and the worker's
    own request execution, as a worker runs what it receives."""
    from celery.worker.request import Request

    from config.celery import app

    reap = queue.task("core.jobs.reap")
    with Connection("memory://") as connection:
        inbox = connection.SimpleQueue("celery")
        # when the task is sent inside a span
        with tracer.start_as_current_span("sending") as sending:
            reap.apply_async(connection=connection)
        message = inbox.get(timeout=5)
        # then its message carries the W3C trace context
        trace_id, span_id = hex_ids(sending)
        assert message.headers["task"] == "core.jobs.reap"
        assert message.headers["traceparent"].startswith(f"00-{trace_id}-")
        # and the worker's span for it continues that trace
        Request(message, app=app, task=reap).execute()
        inbox.close()

    finished = spans.get_finished_spans()
    publish = named(finished, "apply_async/core.jobs.reap")
    run = named(finished, "run/core.jobs.reap")
    assert publish.parent.span_id == sending.get_span_context().span_id
    assert run.context.trace_id == sending.get_span_context().trace_id
    assert run.parent.span_id == publish.context.span_id
    assert run.attributes["celery.state"] == "SUCCESS"


@pytest.mark.django_db
def test_an_outbox_row_keeps_its_publishers_trace_and_a_late_delivery_links_to_it(
    tracer, spans, user, django_capture_on_commit_callbacks
):
    # given an event published inside a span, whose relay after commit never ran
    with django_capture_on_commit_callbacks(execute=False):
        with tracer.start_as_current_span("publishing") as publishing, transaction.atomic():
            events.publish(events.AccountUpdated(account_id=user.pk, fields=("note",)))
    row = OutboxEvent.objects.get()
    trace_id, span_id = hex_ids(publishing)
    assert row.payload == {
        "account_id": user.pk,
        "fields": ["note"],
        "_trace": {"traceparent": row.payload["_trace"]["traceparent"]},
    }
    assert row.payload["_trace"]["traceparent"].startswith(f"00-{trace_id}-{span_id}-")

    # when the periodic sweep delivers it, in a trace of its own
    with tracer.start_as_current_span("sweep") as sweep:
        assert events.relay_due() == 1

    # then the delivery is a span of the sweep's trace, linked to the publisher's span
    delivery = named(spans.get_finished_spans(), "event.deliver AccountUpdated")
    assert delivery.parent.span_id == sweep.get_span_context().span_id
    assert [(link.context.trace_id, link.context.span_id) for link in delivery.links] == [
        (publishing.get_span_context().trace_id, publishing.get_span_context().span_id)
    ]
    row.refresh_from_db()
    assert row.status == OutboxEvent.Status.DONE
    # and the event itself is rebuilt without the trace context
    assert events.event_from_payload(row.event_type, row.payload) == events.AccountUpdated(
        account_id=user.pk, fields=("note",)
    )


def test_log_lines_of_a_traced_request_carry_its_trace_and_span_ids(
    spans, client, log_lines, settings
):
    settings.DEBUG = False

    # when a request is answered 404 (Django logs it after the span has ended)
    response = client.get("/api/v1/no-such-endpoint", HTTP_X_REQUEST_ID="probe-1")

    # then its log line names the request's trace and server span beside the request id
    assert response.status_code == 404
    server = named(spans.get_finished_spans(), "GET")
    trace_id, span_id = hex_ids(server)
    lines = [line for line in log_lines() if line["logger"] == "django.request"]
    assert [(x["request_id"], x["trace_id"], x["span_id"]) for x in lines] == [
        ("probe-1", trace_id, span_id)
    ]


def test_log_lines_inside_a_span_carry_its_ids(tracer, log_lines):
    with tracer.start_as_current_span("work") as work:
        logging.getLogger("agora.test").warning("inside")
    logging.getLogger("agora.test").warning("after")

    trace_id, span_id = hex_ids(work)
    assert [(x["message"], x["trace_id"], x["span_id"]) for x in log_lines()] == [
        ("inside", trace_id, span_id),
        ("after", "", ""),
    ]


def test_without_tracing_log_lines_carry_empty_trace_ids(client, log_lines):
    assert not tracing.is_active()

    client.get("/api/v1/no-such-endpoint")

    lines = [line for line in log_lines() if line["logger"] == "django.request"]
    assert [(x["trace_id"], x["span_id"]) for x in lines] == [("", "")]


def test_tracing_helpers_do_nothing_without_tracing():
    def callback():
        return 1

    assert not tracing.is_active()
    assert tracing.bind(callback) is callback
    assert tracing.carrier() == {}
    assert tracing.log_ids() == ("", "")


def test_queries_and_commands_outside_any_request_or_task_are_not_traced(tracer, spans):
    """The sampler drops client spans without a parent (housekeeping), keeps the rest."""
    with tracer.start_as_current_span("work", kind=trace.SpanKind.CONSUMER):
        tracer.start_span("SELECT inside", kind=trace.SpanKind.CLIENT).end()
    tracer.start_span("SELECT alone", kind=trace.SpanKind.CLIENT).end()
    tracer.start_span("a task's own trace", kind=trace.SpanKind.CONSUMER).end()

    assert [s.name for s in spans.get_finished_spans()] == [
        "SELECT inside",
        "work",
        "a task's own trace",
    ]


def test_the_sampler_otherwise_follows_the_standard_variables(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.25")

    description = tracing.sampler().get_description()

    assert description == (
        "UnparentedClientSpansDropped{ParentBased{root:TraceIdRatioBased{0.25},"
        "remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,"
        "localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}}"
    )


def test_instrumenting_twice_is_refused(spans, provider):
    with pytest.raises(RuntimeError):
        tracing.instrument(tracer_provider=provider)


# The web entry point as uvicorn loads it: requests through the ASGI application it
# serves (as uvicorn calls it) and through Django's WSGI-style test client.
ENTRY_POINT = textwrap.dedent(
    """
    import asyncio, json, sys
    from asgiref.testing import ApplicationCommunicator
    import config.asgi
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment
    from core import tracing

    async def asgi_get(path):
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "headers": [(b"host", b"localhost")],
            "client": ("127.0.0.1", 50000), "server": ("localhost", 8000),
        }
        communicator = ApplicationCommunicator(config.asgi.application, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(10)
        await communicator.receive_output(10)
        return start["status"]

    statuses = [asyncio.run(asgi_get(path)) for path in ("/healthz", "/api/v1/no-such-asgi")]
    setup_test_environment()
    statuses.append(Client().get("/api/v1/no-such-wsgi").status_code)
    tracing.force_flush()
    print(json.dumps({
        "statuses": statuses,
        "active": tracing.is_active(),
        "modules": sorted(
            m for m in sys.modules
            if m.startswith(("opentelemetry.instrumentation", "opentelemetry.exporter"))
        ),
        "middleware": [m for m in settings.MIDDLEWARE if "opentelemetry" in m],
    }))
    """
)


def run_entry_point(**environment: str) -> dict:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OTEL_", "AGORA_TRACING"))
    }
    env.update(DEBUG="true", LOG_LEVEL="ERROR", **environment)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", ENTRY_POINT],
        cwd=BASE_DIR,
        env={**env, "PYTHONPATH": f"{BASE_DIR / 'platform'}{os.pathsep}{BASE_DIR}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_without_configuration_nothing_is_imported_or_instrumented():
    """redis-py imports the OpenTelemetry API itself when installed (its own metrics,
    off by default): the instrumentations and the exporter are what tracing adds."""
    outcome = run_entry_point()

    assert outcome == {
        "statuses": [200, 404, 404],
        "active": False,
        "modules": [],
        "middleware": [],
    }


def test_an_otlp_endpoint_turns_tracing_on_and_spans_reach_the_collector():
    collector = OtlpCollector().start()
    try:
        # when the web entry point runs with an OTLP endpoint set
        outcome = run_entry_point(
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint, OTEL_BSP_SCHEDULE_DELAY="100"
        )

        # then Django is instrumented and the request's span is exported over OTLP/HTTP
        assert outcome["statuses"] == [200, 404, 404]
        assert outcome["active"] is True
        assert outcome["middleware"] == [
            "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware"
        ]
        received = collector.wait_for(lambda spans: len(spans) >= 2)
    finally:
        collector.stop()
    # and the probe (/healthz) is not traced
    assert sorted(
        (s.service, s.name, s.kind, s.attributes["http.url"], s.attributes["http.status_code"])
        for s in received
    ) == [
        ("agora", "GET", SERVER, "http://localhost/api/v1/no-such-asgi", 404),
        ("agora", "GET", SERVER, "http://testserver/api/v1/no-such-wsgi", 404),
    ]
