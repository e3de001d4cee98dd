"""OpenTelemetry tracing of requests, Celery tasks, SQL queries and Redis commands.

Off unless configured (``AGORA_TRACING``, or an OTLP endpoint: see
``config/settings/observability.py``): then nothing here imports OpenTelemetry and
every helper returns at once. On, :func:`setup` runs once per process, from the
process's entry point before Django builds its handler (``config/asgi.py``,
``config/wsgi.py``) or in each Celery worker process (``config/celery.py``, on
``worker_process_init`` as OpenTelemetry advises for prefork, so the exporter's
thread lives in the process that uses it): a ``TracerProvider`` with a
``BatchSpanProcessor`` exporting over OTLP/HTTP, and the Django (ASGI and WSGI),
psycopg, Redis and Celery instrumentations.

One trace follows a request into the tasks it enqueues: Celery's instrumentation
puts the W3C ``traceparent`` in the task message's headers when the task is sent.
Agora sends tasks after commit (:func:`core.queue.send_on_commit`, the outbox relay
in :mod:`core.events`), so :func:`bind` keeps the context of the moment the work was
asked for with the callback, whatever context the commit happens in. The outbox row
keeps its publisher's ``traceparent`` too (:func:`carrier`), and the delivery to the
handlers links to it (:func:`delivery_span`): a row the periodic sweep relays, long
after the request, is delivered in the sweep's trace with a link to the request's.

Tests install their own provider (an in-memory exporter) with :func:`instrument`
and remove it with :func:`uninstrument`; the global provider, which OpenTelemetry
lets a process set only once, is left alone.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import Sampler

logger = logging.getLogger(__name__)

# The outbox payload key the publisher's trace context is stored under (never a field name).
OUTBOX_CONTEXT_KEY = "_trace"
# The request attribute holding the ids of its server span: Django logs a request's 4xx
# and 5xx after the instrumentation's middleware has returned and ended the span.
_REQUEST_IDS_ATTRIBUTE = "trace_log_ids"

_state: dict[str, Any] = {"provider": None}

F = TypeVar("F", bound=Callable[..., Any])


def is_active() -> bool:
    """Whether this process traces (:func:`setup` or :func:`instrument` ran)."""
    return _state["provider"] is not None


def setup(*, default_service_name: str = "agora", after_fork: bool = False) -> bool:
    """Trace this process as the settings say, once; returns whether it traces.

    ``default_service_name`` names the service unless ``OTEL_SERVICE_NAME`` does;
    ``after_fork``: this is a prefork child, whose inherited connections are its parent's.
    Sets the global tracer provider, so spans of code that asks OpenTelemetry for a
    tracer go to the same exporter. Calling it again does nothing.
    """
    from django.conf import settings

    if is_active():
        return True
    if not settings.TRACING_ENABLED:
        return False
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # The endpoint, headers and timeout come from OTEL_EXPORTER_OTLP_*, the batch from
    # OTEL_BSP_*, resource attributes from OTEL_RESOURCE_ATTRIBUTES.
    resource = Resource.create(
        {"service.name": settings.TRACING_SERVICE_NAME or default_service_name}
    )
    provider = TracerProvider(resource=resource, sampler=sampler())
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    instrument(tracer_provider=provider)
    if not after_fork:
        # A prefork child's inherited connections are its parent's: Celery's Django
        # fixup closes them (and the pool) in the child, which then opens its own.
        _drop_database_connections()
    logger.info(
        "tracing on",
        extra={"service_name": resource.attributes.get("service.name")},
    )
    return True


def sampler(delegate: Sampler | None = None) -> Sampler:
    """Agora's sampler: ``delegate`` (default: the one ``OTEL_TRACES_SAMPLER`` and
    ``OTEL_TRACES_SAMPLER_ARG`` name, parent-based always-on unless set), except that a
    query or Redis command outside any request or task is not traced.

    Those are a process's housekeeping (the worker's heartbeat, Celery's broker polling
    and pidbox, about one a second per worker), each a trace of one span.
    """
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider, sampling

    chosen: Sampler = (
        delegate if delegate is not None else TracerProvider(shutdown_on_exit=False).sampler
    )

    class UnparentedClientSpansDropped(sampling.Sampler):
        def should_sample(
            self,
            parent_context,
            trace_id,
            name,
            kind=None,
            attributes=None,
            links=None,
            trace_state=None,
        ):
            parent = trace.get_current_span(parent_context).get_span_context()
            if kind == trace.SpanKind.CLIENT and not parent.is_valid:
                return sampling.SamplingResult(sampling.Decision.DROP)
            return chosen.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )

        def get_description(self) -> str:
            return f"UnparentedClientSpansDropped{{{chosen.get_description()}}}"

    return UnparentedClientSpansDropped()


def instrument(*, tracer_provider: TracerProvider) -> None:
    """Instrument Django, psycopg, Redis and Celery, reporting to ``tracer_provider``.

    Django's instrumentation adds its middleware to ``settings.MIDDLEWARE``: call this
    before the handler that serves requests is built. Raises ``RuntimeError`` when
    another provider is already installed (call :func:`uninstrument` first).
    """
    from django.conf import settings
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    if is_active():
        raise RuntimeError("tracing is already instrumented in this process")
    DjangoInstrumentor().instrument(
        tracer_provider=tracer_provider,
        excluded_urls=settings.TRACING_EXCLUDED_URLS,
        request_hook=_remember_request_span,
    )
    # No SQL comments and no parameters: queries are recorded as written, values unseen.
    PsycopgInstrumentor().instrument(tracer_provider=tracer_provider)
    RedisInstrumentor().instrument(tracer_provider=tracer_provider)
    CeleryInstrumentor().instrument(tracer_provider=tracer_provider)
    _state["provider"] = tracer_provider


def _drop_database_connections() -> None:
    """Close the connections (and pools) opened before psycopg was instrumented.

    Only connections opened once it is are traced, and a Celery worker's start-up checks
    have already opened the pool by the time its ``worker_init`` signal reaches us.
    """
    from core.postgres import close_connections_and_pools

    close_connections_and_pools()


def uninstrument() -> None:
    """Undo :func:`instrument` (tests); the provider is not shut down."""
    if not is_active():
        return
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    for instrumentor in (
        CeleryInstrumentor(),
        RedisInstrumentor(),
        PsycopgInstrumentor(),
        DjangoInstrumentor(),
    ):
        instrumentor.uninstrument()
    _state["provider"] = None


def force_flush(timeout_millis: int = 5000) -> None:
    """Export the spans still batched (a worker process about to exit)."""
    provider = _state["provider"]
    if provider is not None and hasattr(provider, "force_flush"):
        provider.force_flush(timeout_millis)


def bind(callback: F) -> F:
    """``callback``, run in the trace context current now, wherever it is called later.

    For work deferred to after commit: the task it sends joins the trace that asked
    for it even when the request's span has ended by then. Without tracing, returns
    ``callback`` itself.
    """
    if not is_active():
        return callback
    from opentelemetry import context

    captured = context.get_current()

    def in_captured_context(*args: Any, **kwargs: Any) -> Any:
        token = context.attach(captured)
        try:
            return callback(*args, **kwargs)
        finally:
            context.detach(token)

    return in_captured_context  # type: ignore[return-value]


def carrier() -> dict[str, str]:
    """The current trace context as W3C headers (``traceparent``), to store with work.

    Empty without tracing or outside any span.
    """
    if not is_active():
        return {}
    from opentelemetry import propagate

    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


@contextlib.contextmanager
def delivery_span(name: str, stored: dict[str, str] | None) -> Iterator[None]:
    """A span around delivering stored work, linked to the trace ``stored`` came from.

    ``stored`` is what :func:`carrier` gave when the work was recorded. The span is a
    child of the current context (the relay task's, or the sweep's), so a link, not a
    parent, ties it to the publisher's trace. Without tracing, does nothing.
    """
    if not is_active():
        yield
        return
    from opentelemetry import propagate, trace

    links = []
    if stored:
        publisher = trace.get_current_span(propagate.extract(stored)).get_span_context()
        if publisher.is_valid:
            links.append(trace.Link(publisher))
    tracer = trace.get_tracer(__name__, tracer_provider=_state["provider"])
    with tracer.start_as_current_span(name, kind=trace.SpanKind.CONSUMER, links=links):
        yield


def _remember_request_span(span: Any, request: Any) -> None:
    """Django's request hook: keep the server span's ids on the request for its log lines."""
    setattr(request, _REQUEST_IDS_ATTRIBUTE, _format_ids(span.get_span_context()))


def _format_ids(span_context: Any) -> tuple[str, str]:
    from opentelemetry import trace

    if not span_context.is_valid:
        return "", ""
    return trace.format_trace_id(span_context.trace_id), trace.format_span_id(span_context.span_id)


def log_ids(request: Any = None) -> tuple[str, str]:
    """The current trace id and span id in hex for a log line, or empty strings.

    A record Django writes about a request after its span has ended names the request:
    the ids of its span are taken from there (:func:`_remember_request_span`).
    """
    if not is_active():
        return "", ""
    from opentelemetry import trace

    ids = _format_ids(trace.get_current_span().get_span_context())
    if ids == ("", "") and request is not None:
        ids = getattr(request, _REQUEST_IDS_ATTRIBUTE, ids)
    return ids
