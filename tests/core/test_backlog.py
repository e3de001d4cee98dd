"""A process holds at most AGORA_REQUEST_BACKLOG requests at once; past it, a new one is
refused at once on the event loop (503 with Retry-After), before it costs a thread.

Requests go through the ASGI handler as uvicorn calls it; the ones held stay in Django
(their ``request_started`` receiver waits) on threads of their own, so the backlog is
really full while the next request arrives.
"""

import asyncio
import json
import threading

import pytest
from django.core import signals
from django_prometheus.middleware import Metrics

from core import metrics
from core.asgi import SynchronousChainASGIHandler
from tests.core.test_middleware_chain import asgi_call, open_event_stream

pytestmark = pytest.mark.django_db(transaction=True)


def _counted(counter, labels: dict) -> float:
    for family in counter.collect():
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels == labels:
                return sample.value
    return 0.0


def _refused_for_backlog() -> tuple[float, float]:
    """The refusals counted: by Agora's cause, and among the 503s the alerts read."""
    return (
        _counted(metrics.service_unavailable_total, {"cause": "backlog"}),
        _counted(Metrics.get_instance().responses_by_status, {"status": "503"}),
    )


class Held:
    """Requests entering Django wait in ``request_started`` until ``release``."""

    def __init__(self):
        self.entered = 0
        self.gate = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, **kwargs):
        with self.lock:
            self.entered += 1
        self.gate.wait(10)

    async def until_entered(self, count: int) -> None:
        async with asyncio.timeout(5):
            while self.entered < count:
                await asyncio.sleep(0.005)


@pytest.fixture
def held():
    holder = Held()
    signals.request_started.connect(holder)
    yield holder
    holder.gate.set()
    signals.request_started.disconnect(holder)


async def held_request(handler, held: Held) -> asyncio.Task:
    """A request sent through ``handler`` and held in Django, taking the backlog's place."""
    task = asyncio.create_task(asgi_call(handler, "/api/v1/instance"))
    await held.until_entered(1)
    return task


def _answer(messages: list[dict]) -> tuple[int, dict[bytes, bytes], bytes]:
    start = messages[0]
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], {name.lower(): value for name, value in start["headers"]}, body


def test_past_the_backlog_a_request_is_refused_at_once(settings, held):
    settings.AGORA_REQUEST_BACKLOG = 1
    handler = SynchronousChainASGIHandler()
    refused_before = _refused_for_backlog()

    async def scenario():
        first = await held_request(handler, held)
        refused = await asyncio.wait_for(
            asgi_call(handler, "/api/v1/instance", (b"x-request-id", b"abc-123")), 2
        )
        entered_while_full = held.entered
        held.gate.set()
        served = await asyncio.wait_for(first, 5)
        after = await asyncio.wait_for(asgi_call(handler, "/api/v1/instance"), 5)
        return refused, entered_while_full, served, after

    refused, entered_while_full, served, after = asyncio.run(scenario())

    status, headers, body = _answer(refused)
    assert status == 503
    assert headers[b"retry-after"] == b"5"
    assert headers[b"content-type"] == b"application/json"
    assert json.loads(body) == {
        "error": "The service is temporarily unavailable, try again shortly"
    }
    assert headers[b"x-request-id"] == b"abc-123"
    assert entered_while_full == 1  # the refused request never reached Django
    assert _refused_for_backlog() == (refused_before[0] + 1, refused_before[1] + 1)
    # the held request is served, and its place given back once it is
    assert _answer(served)[0] == 200
    assert _answer(after)[0] == 200
    assert handler.held == 0


def test_a_browser_client_can_read_the_refusal(settings, held):
    settings.AGORA_REQUEST_BACKLOG = 1
    handler = SynchronousChainASGIHandler()

    async def scenario():
        first = await held_request(handler, held)
        origin = (b"origin", b"https://elk.zone")
        refused = await asgi_call(handler, "/api/v1/timelines/public", origin)
        other = await asgi_call(handler, "/admin/login/", origin)
        held.gate.set()
        await first
        return refused, other

    refused, other = asyncio.run(scenario())

    status, headers, _body = _answer(refused)
    assert status == 503
    assert headers[b"access-control-allow-origin"] == b"*"
    assert b"X-Request-Id" in headers[b"access-control-expose-headers"]
    assert len(headers[b"x-request-id"]) == 32  # a new id: the request came without one
    status, headers, _body = _answer(other)
    assert status == 503
    assert b"access-control-allow-origin" not in headers  # not a CORS path


def test_no_wildcard_origin_when_the_api_allows_credentials(settings, held):
    # corsheaders names the origin then (and allows credentials): "*" would be wrong
    settings.AGORA_REQUEST_BACKLOG = 1
    settings.CORS_ALLOW_CREDENTIALS = True
    handler = SynchronousChainASGIHandler()

    async def scenario():
        first = await held_request(handler, held)
        refused = await asgi_call(handler, "/api/v1/instance", (b"origin", b"https://elk.zone"))
        held.gate.set()
        await first
        return refused

    status, headers, _body = _answer(asyncio.run(scenario()))
    assert status == 503
    assert b"access-control-allow-origin" not in headers


def test_probes_are_answered_when_the_backlog_is_full(settings, held):
    settings.AGORA_REQUEST_BACKLOG = 1
    handler = SynchronousChainASGIHandler()

    async def scenario():
        first = await held_request(handler, held)
        probe = asyncio.create_task(asgi_call(handler, "/healthz"))
        await held.until_entered(2)  # the probe entered Django: not refused
        held.gate.set()
        await first
        return await probe

    status, _headers, body = _answer(asyncio.run(scenario()))
    assert status == 200, body


def test_an_open_event_stream_holds_no_place(settings):
    settings.AGORA_REQUEST_BACKLOG = 1
    handler = SynchronousChainASGIHandler()
    streamed: list[dict] = []

    async def scenario():
        stream, gone = await open_event_stream(handler, streamed)
        answer = await asyncio.wait_for(asgi_call(handler, "/api/v1/instance"), 5)
        gone.set()
        await asyncio.wait_for(stream, 5)
        return answer

    answer = asyncio.run(scenario())

    assert streamed[0]["status"] == 200
    assert _answer(answer)[0] == 200


def test_a_backlog_of_zero_holds_any_number(settings, held):
    settings.AGORA_REQUEST_BACKLOG = 0
    handler = SynchronousChainASGIHandler()

    async def scenario():
        tasks = [asyncio.create_task(asgi_call(handler, "/api/v1/instance")) for _ in range(3)]
        await held.until_entered(3)
        held.gate.set()
        return await asyncio.gather(*tasks)

    assert [_answer(messages)[0] for messages in asyncio.run(scenario())] == [200, 200, 200]
