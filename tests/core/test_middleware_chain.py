"""Under ASGI a request is served in one trip to its thread: the request signals, the
middleware chain and the view run there synchronously, and the request never comes back to
the event loop before its answer (core.asgi), where Django's own handler crosses for each
middleware and for each signal. Threads serve one request at a time and are kept for the
next."""

import asyncio
import threading

import pytest
from asgiref import sync
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.handlers.asgi import ASGIHandler
from django.utils.module_loading import import_string

from core.asgi import SynchronousChainASGIHandler
from tests.accounts.factories import AccessTokenFactory

# Django's own handler's crossings besides the chain's: the request signals' receivers and
# the request's closing.
DJANGO_S_FIXED_CROSSINGS = 3


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


@pytest.fixture
def signalled():
    """What the request signals saw: ("started" or "finished", the thread) in order."""
    seen: list[tuple[str, int]] = []

    def started(**kwargs):
        seen.append(("started", threading.get_ident()))

    def finished(**kwargs):
        seen.append(("finished", threading.get_ident()))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield seen
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


def http_scope(path: str, *headers: tuple[bytes, bytes]) -> dict:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"localhost"), *headers],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip


def asgi_get(handler, path: str, on_send=None) -> tuple[int, bytes]:
    """``path`` through ``handler`` as uvicorn calls it: the status and the body.
    ``on_send(message)`` is called as each message is sent."""
    messages = asyncio.run(asgi_call(handler, path, on_send=on_send))
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return messages[0]["status"], body


async def asgi_call(
    handler, path: str, *headers, disconnect=None, messages=None, on_send=None
) -> list[dict]:
    """The messages ``handler`` sends for ``path`` (into ``messages`` as they are sent, each
    passed to ``on_send`` first); the client goes away when ``disconnect`` (an asyncio.Event)
    is set, else once the answer is complete."""
    done = disconnect or asyncio.Event()
    messages = [] if messages is None else messages
    requested = False

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if on_send is not None:
            on_send(message)
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await handler(http_scope(path, *headers), receive, send)
    return messages


async def open_event_stream(handler, messages: list[dict]) -> tuple[asyncio.Task, asyncio.Event]:
    """The public event stream opened through ``handler`` (its messages into ``messages``)
    and its first comment received; returns the request's task and the event that makes
    its client go away."""
    token = await sync_to_async(lambda: AccessTokenFactory(scope="read").token)()
    gone = asyncio.Event()
    authorization = (b"authorization", f"Bearer {token}".encode())
    task = asyncio.create_task(
        asgi_call(handler, "/api/v1/streaming/public", authorization, disconnect=gone,
                  messages=messages)
    )  # fmt: skip
    async with asyncio.timeout(5):
        while not any(m.get("body", b"").startswith(b":)") for m in messages):
            await asyncio.sleep(0.01)
    return task, gone


def test_config_asgi_serves_http_with_the_synchronous_chain_handler():
    from config.asgi import django_asgi_app

    assert type(django_asgi_app) is SynchronousChainASGIHandler


@pytest.mark.django_db(transaction=True)
def test_an_asgi_request_crosses_to_the_thread_once_and_never_back(crossings):
    status, body = asgi_get(SynchronousChainASGIHandler(), "/api/v1/instance")

    assert status == 200, body
    assert crossings == {"to_thread": 1, "to_loop": 0}


@pytest.mark.django_db(transaction=True)
def test_django_s_own_handler_crosses_for_each_middleware(crossings):
    status, body = asgi_get(ASGIHandler(), "/api/v1/instance")

    assert status == 200, body
    assert crossings["to_thread"] >= DJANGO_S_FIXED_CROSSINGS + 5, crossings
    assert crossings["to_loop"] >= 1, crossings


@pytest.mark.django_db(transaction=True)
def test_the_request_is_finished_before_its_answer_is_sent(signalled):
    # request_finished gives the database connection back to its pool: not after the send
    at_start: list = []

    def on_send(message):
        if message["type"] == "http.response.start":
            at_start.extend(signalled)

    status, body = asgi_get(SynchronousChainASGIHandler(), "/api/v1/instance", on_send)

    assert status == 200, body
    assert [name for name, _thread in at_start] == ["started", "finished"]
    assert at_start[0][1] == at_start[1][1] != threading.get_ident()


@pytest.mark.django_db(transaction=True)
def test_the_next_request_is_served_on_the_thread_the_last_one_left(signalled):
    handler = SynchronousChainASGIHandler()

    for _ in range(3):
        status, body = asgi_get(handler, "/api/v1/instance")
        assert status == 200, body

    assert len({thread for _name, thread in signalled}) == 1, signalled
    assert len(handler.idle_threads) == 1


@pytest.mark.django_db(transaction=True)
def test_requests_at_once_are_served_on_threads_of_their_own(signalled):
    # three requests at once, each held in its view until all three have entered theirs
    handler = SynchronousChainASGIHandler()
    entered = threading.Barrier(3, timeout=10)

    def started(**kwargs):
        entered.wait()  # would time out (BrokenBarrierError) were they served one by one

    signals.request_started.connect(started)
    try:

        async def three():
            await asyncio.gather(*(asgi_call(handler, "/api/v1/instance") for _ in range(3)))

        asyncio.run(three())
    finally:
        signals.request_started.disconnect(started)

    threads = [thread for name, thread in signalled if name == "started"]
    assert len(set(threads)) == 3
    assert len(handler.idle_threads) == 3


@pytest.mark.django_db(transaction=True)
def test_an_event_stream_is_sent_until_its_client_goes_away_then_finished(signalled):
    handler = SynchronousChainASGIHandler()
    messages: list[dict] = []

    async def stream() -> list[str]:
        task, gone = await open_event_stream(handler, messages)
        finished_while_open = [name for name, _thread in signalled if name == "finished"]
        gone.set()
        await asyncio.wait_for(task, 5)  # the handler returns once the client has gone
        return finished_while_open

    finished_while_open = asyncio.run(stream())

    assert messages[0]["status"] == 200
    assert finished_while_open == []
    assert [name for name, _thread in signalled] == ["started", "finished"]


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
