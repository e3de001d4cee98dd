"""Under ASGI the middleware chain runs synchronously: a request crosses to the
sync thread a fixed number of times, not once or twice per middleware."""

import pytest
from asgiref import sync
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import AsyncClient
from django.utils.module_loading import import_string

from core.middleware import SynchronousChainMiddleware

# Django's own crossings, whatever the middleware (its request signals' receivers
# and the view among them), plus the chain's single one.
FIXED_CROSSINGS = 8


@pytest.fixture
def crossings(monkeypatch):
    """Counts the event loop -> thread crossings asgiref makes."""
    counted = {"to_thread": 0}
    original = sync.SyncToAsync.__call__

    async def counting(self, *args, **kwargs):
        counted["to_thread"] += 1
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(sync.SyncToAsync, "__call__", counting)
    return counted


def test_the_synchronous_chain_middleware_is_last_and_sync_only():
    last = import_string(settings.MIDDLEWARE[-1])

    assert last is SynchronousChainMiddleware
    assert not last.async_capable


def asgi_get(path: str):
    """``path`` through Django's ASGI handler, as uvicorn serves it."""
    return async_to_sync(AsyncClient().get)(path)


@pytest.mark.django_db
def test_an_asgi_request_crosses_to_the_thread_a_fixed_number_of_times(crossings):
    response = asgi_get("/api/v1/instance")

    assert response.status_code == 200
    assert crossings["to_thread"] <= FIXED_CROSSINGS, crossings


def async_capable_middleware() -> list[str]:
    return [
        path for path in settings.MIDDLEWARE if getattr(import_string(path), "async_capable", False)
    ]


@pytest.mark.django_db
def test_without_it_each_middleware_crosses_on_its_own(crossings, settings):
    settings.MIDDLEWARE = async_capable_middleware()

    response = asgi_get("/api/v1/instance")

    assert response.status_code == 200
    assert crossings["to_thread"] >= FIXED_CROSSINGS + 10, crossings


@pytest.mark.django_db
def test_it_alone_brings_those_crossings_back_to_one(crossings, settings):
    settings.MIDDLEWARE = [
        *async_capable_middleware(),
        "core.middleware.SynchronousChainMiddleware",
    ]

    response = asgi_get("/api/v1/instance")

    assert response.status_code == 200
    assert crossings["to_thread"] <= FIXED_CROSSINGS, crossings


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
