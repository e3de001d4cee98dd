"""The request id on every log line."""

from __future__ import annotations

import contextvars
import logging

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (set by :class:`core.middleware.RequestIdMiddleware`) to records.

    Django logs a request's 4xx and 5xx responses after the middleware has returned,
    with the request attached to the record: its id is taken from there first.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        return True
