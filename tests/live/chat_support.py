"""Helpers of the chat tests: streams, accounts and sockets on the real ASGI application.

Scenarios are coroutines run by :func:`run`; service calls go through ``sync_to_async`` so
they commit and broadcast as they do for a real request, on the in-memory channel layer.
"""

from __future__ import annotations

from urllib.parse import quote

from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from apps.live.models import Stream
from config.asgi import application

TIMEOUT = 5


def run(scenario) -> None:
    """Run the coroutine function ``scenario`` to completion from a synchronous test."""
    async_to_sync(scenario)()


def chat_path(stream_id, token: str | None = None) -> str:
    path = f"/ws/live/{stream_id}/chat/"
    return f"{path}?access_token={quote(token)}" if token is not None else path


async def join(stream_id, token: str | None = None) -> tuple[WebsocketCommunicator, dict]:
    """A connected chat socket and the ``history`` it got on joining."""
    communicator = WebsocketCommunicator(
        application, chat_path(stream_id, token), headers=[(b"origin", b"http://localhost")]
    )
    connected, detail = await communicator.connect(timeout=TIMEOUT)
    assert connected, f"refused with {detail}"
    history = await communicator.receive_json_from(timeout=TIMEOUT)
    assert history["event"] == "history", history
    return communicator, history["payload"]


async def refused_with(stream_id, token: str | None = None, *, subprotocols=None) -> int:
    """The close code the server closed the socket with, before sending anything.

    The socket is accepted first (fails otherwise): a server answers a socket closed before
    it was accepted with HTTP 403, and a browser would never see the code.
    """
    communicator = WebsocketCommunicator(
        application,
        chat_path(stream_id, token),
        headers=[(b"origin", b"http://localhost")],
        subprotocols=subprotocols,
    )
    connected, _subprotocol = await communicator.connect(timeout=TIMEOUT)
    assert connected, "refused before it was accepted: a browser sees 1006, not the code"
    closed = await communicator.receive_output(timeout=TIMEOUT)
    assert closed["type"] == "websocket.close", closed
    return closed["code"]


async def say(communicator: WebsocketCommunicator, frame: dict) -> dict:
    """Send ``frame``; the next event the socket receives."""
    await communicator.send_json_to(frame)
    return await communicator.receive_json_from(timeout=TIMEOUT)


async def next_event(communicator: WebsocketCommunicator) -> dict:
    return await communicator.receive_json_from(timeout=TIMEOUT)


async def said(communicator: WebsocketCommunicator, text: str, **extra) -> tuple[dict, dict]:
    """Send a message; ``(ack, message event)`` in whichever order they came."""
    await communicator.send_json_to({"type": "message", "text": text, **extra})
    first = await next_event(communicator)
    second = await next_event(communicator)
    events = {first["event"]: first, second["event"]: second}
    assert set(events) == {"ack", "message"}, (first, second)
    return events["ack"], events["message"]


def error(code: str) -> dict:
    """Matches any error event with ``code`` (compare with ``==`` against the event)."""
    return _ErrorOf(code)


class _ErrorOf(dict):
    def __init__(self, code: str) -> None:
        super().__init__(event="error", code=code)
        self.code = code

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, dict)
            and other.get("event") == "error"
            and other.get("payload", {}).get("code") == self.code
            and bool(other["payload"].get("error"))
        )

    __hash__ = None  # type: ignore[assignment]


def make_stream(owner, **fields) -> Stream:
    """An idle stream of ``owner`` (its chat is open before it goes live); ``owner`` is
    allowed to go live."""
    from apps.live import services

    services.live_allow(account=owner, actor="tests")
    fields.setdefault("title", "Speedrun night")
    stream, _key = services.stream_create(account=owner, **fields)
    return stream
