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
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.utils.translation import gettext as _

from core import metrics
from core.exceptions import ServiceUnavailable, error_response

# Never queued: an orchestrator probing a busy process must not take it for a dead one.
UNLIMITED_PATHS = ("/healthz", "/readyz", "/metrics")


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
            return error_response(
                ServiceUnavailable(_("The service is temporarily unavailable, try again shortly"))
            )
        try:
            return self.get_response(request)
        finally:
            self.turns.release()
