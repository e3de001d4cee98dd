"""Under ASGI the middleware chain and the view run synchronously, entered once: a request
crosses to the sync thread a fixed number of times and never comes back to the event loop
before its answer (core.asgi), where Django's own handler crosses for each middleware."""

import asyncio

import pytest
from asgiref import sync
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.utils.module_loading import import_string

from core.asgi import SynchronousChainASGIHandler

# Django's own crossings (its request signals' receivers, the request's closing), plus the
# chain's single one.
FIXED_CROSSINGS = 3


@pytest.fixture
def crossings(monkeypatch):
    """Counts the crossings asgiref makes: event loop -> thread, and thread -> event loop."""
    counted = {"to_thread": 0, "to_loop": 0}
    to_thread, to_loop = sync.SyncToAsync.__call__, sync.AsyncToSync.__call__

    async def counting_to_thread(self, *args, **kwargs):
        counted["to_thread"] += 1
        return await to_thread(self, *args, **kwargs)

    def counting_to_loop(self, *args, **kwargs):
        counted["to_loop"] += 1
        return to_loop(self, *args, **kwargs)

    monkeypatch.setattr(sync.SyncToAsync, "__call__", counting_to_thread)
    monkeypatch.setattr(sync.AsyncToSync, "__call__", counting_to_loop)
    return counted


def asgi_get(handler, path: str) -> tuple[int, bytes]:
    """``path`` through ``handler`` as uvicorn calls it: the status and the body."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    messages = []

    async def call():
        answered = asyncio.Event()
        requested = False

        async def receive():
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await answered.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            messages.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered.set()

        await handler(scope, receive, send)

    asyncio.run(call())
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return messages[0]["status"], body


def test_config_asgi_serves_http_with_the_synchronous_chain_handler():
    from config.asgi import django_asgi_app

    assert type(django_asgi_app) is SynchronousChainASGIHandler


@pytest.mark.django_db(transaction=True)
def test_an_asgi_request_crosses_to_the_thread_once_and_never_back(crossings):
    status, body = asgi_get(SynchronousChainASGIHandler(), "/api/v1/instance")

    assert status == 200, body
    assert crossings["to_thread"] <= FIXED_CROSSINGS, crossings
    assert crossings["to_loop"] == 0, crossings


@pytest.mark.django_db(transaction=True)
def test_django_s_own_handler_crosses_for_each_middleware(crossings):
    status, body = asgi_get(ASGIHandler(), "/api/v1/instance")

    assert status == 200, body
    assert crossings["to_thread"] >= FIXED_CROSSINGS + 5, crossings
    assert crossings["to_loop"] >= 1, crossings


@pytest.mark.django_db(transaction=True)
def test_an_error_inside_the_chain_is_answered_by_it(crossings):
    status, body = asgi_get(SynchronousChainASGIHandler(), "/api/v1/statuses/not-a-status")

    assert status == 404, body
    assert body.startswith(b"{"), body  # the API's JSON error, not Django's HTML page
    assert crossings["to_loop"] == 0, crossings


def test_cors_comes_before_everything_that_answers_or_refuses():
    """CORS answers preflights itself, and its headers reach every answer given inside
    it (API errors, refusals of bad bodies, trailing-slash redirects, lockouts, rate
    limits), so a browser client can read them. Only the request id comes first, so a
    preflight is logged with one."""
    chain = settings.MIDDLEWARE
    cors = chain.index("corsheaders.middleware.CorsMiddleware")

    assert chain[:cors] == [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        "core.middleware.RequestIdMiddleware",
    ]
    assert import_string(chain[cors]).async_capable
