"""A process serves at most AGORA_REQUEST_CONCURRENCY requests at once; one that waited
AGORA_REQUEST_QUEUE_TIMEOUT seconds for its turn is refused with 503, not served late.

Real threads contend for the turns, as uvicorn's requests do (each on a thread of its
own); the requests in flight are held by a view that waits on an event.
"""

import threading
import time

from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import RequestFactory

from core import metrics
from core.overload import RequestConcurrencyMiddleware


def _refused_for_queue() -> float:
    """The counter alone (the registry's collectors would query the database)."""
    for family in metrics.service_unavailable_total.collect():
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels == {"cause": "queue"}:
                return sample.value
    return 0.0


class HeldView:
    """A view whose requests stay in flight until ``release``; counts those served."""

    def __init__(self):
        self.entered = threading.Semaphore(0)
        self.gate = threading.Event()
        self.served = 0

    def __call__(self, request):
        self.entered.release()
        self.gate.wait(10)
        self.served += 1
        return HttpResponse("ok")


def _in_flight(middleware, count: int, path: str = "/api/v1/timelines/home"):
    """``count`` requests sent on threads of their own; returns the threads and answers."""
    answers: list = []
    threads = [
        threading.Thread(target=lambda: answers.append(middleware(RequestFactory().get(path))))
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    return threads, answers


def _one_in_flight(settings, *, timeout: float):
    """A limit of one request, taken by a request held in the view; the rest wait ``timeout``.

    Returns the view, the middleware, and the held request's thread and answers."""
    settings.AGORA_REQUEST_CONCURRENCY = 1
    settings.AGORA_REQUEST_QUEUE_TIMEOUT = timeout
    view = HeldView()
    middleware = RequestConcurrencyMiddleware(view)
    held, answers = _in_flight(middleware, 1)
    assert view.entered.acquire(timeout=5)
    return view, middleware, held, answers


def test_requests_within_the_limit_are_served_at_once(settings):
    settings.AGORA_REQUEST_CONCURRENCY = 2
    view = HeldView()
    middleware = RequestConcurrencyMiddleware(view)

    threads, answers = _in_flight(middleware, 2)
    assert view.entered.acquire(timeout=5)
    assert view.entered.acquire(timeout=5)
    view.gate.set()
    for thread in threads:
        thread.join(5)

    assert [answer.status_code for answer in answers] == [200, 200]


def test_a_request_past_the_limit_waits_its_turn_then_is_served(settings):
    view, middleware, first, answers = _one_in_flight(settings, timeout=5)

    second, later = _in_flight(middleware, 1)
    time.sleep(0.2)
    assert not view.entered.acquire(blocking=False)  # waiting, not served alongside
    view.gate.set()
    for thread in first + second:
        thread.join(5)

    assert [a.status_code for a in answers + later] == [200, 200]


def test_a_request_that_waited_past_the_timeout_is_refused_with_retry_after(settings):
    before = _refused_for_queue()
    view, middleware, held, _ = _one_in_flight(settings, timeout=0.3)

    started = time.monotonic()
    refused = middleware(RequestFactory().get("/api/v1/timelines/home"))
    waited = time.monotonic() - started
    view.gate.set()
    held[0].join(5)

    assert refused.status_code == 503
    assert refused["Retry-After"] == "5"
    assert b"temporarily unavailable" in refused.content
    assert 0.25 < waited < 2
    assert view.served == 1  # the refused request reached nothing
    assert _refused_for_queue() == before + 1


def test_probes_and_metrics_never_wait(settings):
    view, middleware, held, _ = _one_in_flight(settings, timeout=0.1)

    sent = [_in_flight(middleware, 1, path=path) for path in ("/healthz", "/readyz", "/metrics")]
    for _ in range(3):  # all three in the view alongside the held request
        assert view.entered.acquire(timeout=5)
    view.gate.set()
    for thread in held + [thread for threads, _ in sent for thread in threads]:
        thread.join(5)

    assert [answer.status_code for _, answers in sent for answer in answers] == [200] * 3


def test_zero_serves_every_request_at_once(settings):
    settings.AGORA_REQUEST_CONCURRENCY = 0
    view = HeldView()
    middleware = RequestConcurrencyMiddleware(view)

    threads, answers = _in_flight(middleware, 20)
    for _ in range(20):
        assert view.entered.acquire(timeout=5)
    view.gate.set()
    for thread in threads:
        thread.join(5)

    assert len(answers) == 20


def test_the_limit_sits_inside_the_error_shape_and_before_the_database():
    chain = django_settings.MIDDLEWARE
    position = chain.index("core.overload.RequestConcurrencyMiddleware")

    assert chain.index("core.middleware.ApiErrorMiddleware") < position
    assert position < chain.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert position < chain.index("django.contrib.auth.middleware.AuthenticationMiddleware")
