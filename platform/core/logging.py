"""The request id, and the trace and span ids when tracing, on every log line."""

from __future__ import annotations

import contextvars
import logging

from core import tracing

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (set by :class:`core.middleware.RequestIdMiddleware`) to records,
    and ``trace_id`` and ``span_id`` (hex; empty without tracing or outside a span).

    Django logs a request's 4xx and 5xx responses after the middleware has returned,
    with the request attached to the record: its ids are taken from there first.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if not hasattr(record, "request_id"):
            record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        if not hasattr(record, "trace_id"):
            record.trace_id, record.span_id = tracing.log_ids(request)
        return True
