"""Shedding load a process cannot serve: 503 with ``Retry-After`` instead of a slow crawl.

Under ASGI, each request's synchronous middleware and view run on a thread of its own
(``core.asgi``), with no bound on how many run at once.
Past the rate a process can serve, every request in flight shares its CPU (and the GIL)
with all the others, each takes longer than the last, and clients time out (a proxy in
front answers 504) while the process goes on working for requests nobody waits for any
more: ``bench/load.py``'s overload step on the home page served 14 requests a second of
the 320 sent, and 2,158 of 3,200 timed out.

:class:`RequestConcurrencyMiddleware` lets at most ``AGORA_REQUEST_CONCURRENCY``
requests of a process through at once (by default its database pool's size: more would
only wait for a connection). The others wait, blocked without using the CPU, up to
``AGORA_REQUEST_QUEUE_TIMEOUT`` seconds for a turn; one still waiting then is refused
with 503 and ``Retry-After`` (``agora_service_unavailable_total{cause="queue"}``) before
it reads anything, as a request that cannot get a database connection in time is
(``DATABASE_POOL_TIMEOUT``). The requests let through keep their pace, and the refused
ones learn at once when to come back. A turn is taken after the request's body was read
(the middleware runs once Django has it), so a slow upload holds none, and given back
when the view returns, so a streaming answer (Server-Sent Events) holds none either.
Health probes and /metrics never wait.

Far past that rate, refusing is itself too dear: a refused request still crosses to a
thread of its own and through the middleware before it is refused, and a process receiving
16 times the rate it can serve spends its CPU on that, its event loop falls behind, and
clients time out before the refusal reaches them. So a process also holds at most
``AGORA_REQUEST_BACKLOG`` requests at once, served or waiting for their turn: past it
:func:`refuse_at_once` answers a new one on the event loop, before it costs a thread
(``agora_service_unavailable_total{cause="backlog"}``), with the same 503, ``Retry-After``,
request id and, for a browser client, CORS headers. Measured with ``bench/load.py``'s
overload step, 1,280 requests a second for 10 s on two processes: on the home timeline,
5,837 clients timed out (p99 10.4 s) before; none after (p99 1.3 s), with more served (189
against 113 a second); on notifications 6,469 before, none after.
"""

from __future__ import annotations

import json
import re
import threading

from django.conf import settings
from django.utils.translation import gettext as _
from django_prometheus.middleware import Metrics as PrometheusMetrics

from core import metrics
from core.exceptions import RETRY_AFTER_SECONDS, ServiceUnavailable, error_response
from core.middleware import REQUEST_ID_HEADER, request_id

# Never queued: an orchestrator probing a busy process must not take it for a dead one.
UNLIMITED_PATHS = ("/healthz", "/readyz", "/metrics")


def unavailable_message() -> str:
    return _("The service is temporarily unavailable, try again shortly")


def held_back(scope: dict) -> bool:
    """Whether an ASGI request counts against ``AGORA_REQUEST_BACKLOG`` (probes do not)."""
    return not scope["path"].startswith(UNLIMITED_PATHS)


async def refuse_at_once(scope: dict, send) -> None:
    """Answer an ASGI request 503 with ``Retry-After`` from the event loop, as
    :class:`RequestConcurrencyMiddleware` and the middleware outside it would: the API's
    error shape, the request's id, and CORS headers for a browser client on a CORS path
    (``corsheaders``' answer under ``CORS_ALLOW_ALL_ORIGINS`` without credentials, Agora's
    settings)."""
    metrics.service_unavailable_total.labels(cause="backlog").inc()
    # Counted with the answers of Django's own middleware (django-prometheus), which the
    # alerts on 503s read, as if it had seen the request.
    counted = PrometheusMetrics.get_instance()
    counted.requests_total.inc()
    counted.responses_total.inc()
    counted.responses_by_status.labels(status="503").inc()
    received = {name.lower(): value for name, value in scope.get("headers", [])}
    incoming = received.get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
    body = json.dumps({"error": unavailable_message()}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
        (REQUEST_ID_HEADER.encode(), request_id(incoming).encode()),
    ]
    if (
        b"origin" in received
        and settings.CORS_ALLOW_ALL_ORIGINS
        and not settings.CORS_ALLOW_CREDENTIALS  # else corsheaders names the origin, not *
        and re.match(settings.CORS_URLS_REGEX, scope["path"])
    ):
        headers.append((b"access-control-allow-origin", b"*"))
        if settings.CORS_EXPOSE_HEADERS:
            exposed = ", ".join(settings.CORS_EXPOSE_HEADERS)
            headers.append((b"access-control-expose-headers", exposed.encode()))
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestConcurrencyMiddleware:
    """At most ``AGORA_REQUEST_CONCURRENCY`` requests at once in this process; a request
    that waited ``AGORA_REQUEST_QUEUE_TIMEOUT`` seconds for its turn is refused (503).

    Comes inside ``ApiErrorMiddleware`` (the 503 in the API's error shape), the request id
    and CORS headers, before anything that reads the database. ``0`` turns it off.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = settings.AGORA_REQUEST_CONCURRENCY
        self.turns = threading.BoundedSemaphore(self.limit) if self.limit > 0 else None

    def __call__(self, request):
        if self.turns is None or request.path.startswith(UNLIMITED_PATHS):
            return self.get_response(request)
        if not self.turns.acquire(timeout=settings.AGORA_REQUEST_QUEUE_TIMEOUT):
            metrics.service_unavailable_total.labels(cause="queue").inc()
            return error_response(ServiceUnavailable(unavailable_message()))
        try:
            return self.get_response(request)
        finally:
            self.turns.release()
