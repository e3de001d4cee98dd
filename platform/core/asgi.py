"""Django's ASGI handler with a request served in one trip to its thread."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import HttpResponseBase
from django.urls import set_script_prefix

from core import overload

# Threads kept for the next requests, at most (each process's; more are started as needed).
IDLE_THREADS = 64


class SynchronousChainASGIHandler(ASGIHandler):
    """Serves a request, from the ``request_started`` signal to ``request_finished``, in one
    ``sync_to_async`` call: the request crosses to its thread once and comes back with its
    answer. The thread is kept for a later request.

    Django's own handler builds an async chain: each middleware that is not
    async-capable, and a synchronous view, is reached through ``sync_to_async``, and
    what lies inside a synchronous middleware through ``async_to_sync``, a round trip to
    the event loop and back each. Agora's views are synchronous (but the streaming
    ones), so here the whole chain, the view included, runs synchronously. Django's
    handler also sends ``request_started`` and closes the response (``request_finished``,
    which gives the database connection back to its pool) in trips of their own; here they
    are in the same one. Measured on public timeline pages, in process through
    ``config.asgi``: 1.2 ms of CPU less a request for the synchronous chain (12.0 against
    13.2 ms); under uvicorn, 2 to 5% of the server's CPU a request.

    Each request has a thread of its own while it is served, as under Django's handler
    (an asgiref ``ThreadSensitiveContext`` each: every thread-sensitive call of the
    request, an async view's included, runs on it), but Django starts a thread for every
    request and stops it after; here a thread that served one is kept (up to
    :data:`IDLE_THREADS`) and serves the next. Django's database connections belong to a
    thread, as under a threaded WSGI server: a request's are given back to their pool by
    ``request_finished``, before its answer is sent, and the thread's next request takes
    one from the pool again.

    Measured on ``GET /api/v1/preferences`` (the token check and four columns), in process
    through ``config.asgi``, 1,000 requests: 1.8 ms of CPU a request under Django's
    handler with the synchronous chain, 1.5 ms with the signals and the closing in the same
    trip, 1.2 ms with the threads kept too; eight at a time, 2.1 against 1.4 ms.

    A request past ``AGORA_REQUEST_BACKLOG`` is refused before it gets a thread
    (:mod:`core.overload`); an answer counts against the backlog until it is ready, not
    while it streams.

    An answer with its body in memory is closed on the thread before it is sent. A
    streaming one (Server-Sent Events) is sent as Django sends it, stopped when the client
    goes away, and closed afterwards. An async view (Server-Sent Events) still runs on the
    event loop: Django's synchronous path runs it there with ``async_to_sync``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.idle_threads: list[ThreadPoolExecutor] = []
        self.held = 0  # requests being served or waiting for their turn (core.overload)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        if not overload.held_back(scope):
            await self.serve_on_a_thread(scope, receive, send)
            return
        backlog = settings.AGORA_REQUEST_BACKLOG
        if backlog and self.held >= backlog:
            await overload.refuse_at_once(scope, send)
            return
        self.held += 1
        released = False

        def release() -> None:  # once answered: a stream is held no longer
            nonlocal released
            if not released:
                released = True
                self.held -= 1

        try:
            await self.serve_on_a_thread(scope, receive, send, release)
        finally:
            release()

    async def serve_on_a_thread(self, scope, receive, send, release=None) -> None:
        thread = (
            self.idle_threads.pop()
            if self.idle_threads
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        )
        served = False
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send, release)
            served = True
        finally:
            if served and len(self.idle_threads) < IDLE_THREADS:
                self.idle_threads.append(thread)
            else:
                thread.shutdown(wait=False)

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def handle(self, scope, receive, send, release=None) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        try:
            response = await sync_to_async(self.serve, thread_sensitive=True)(scope, body_file)
            if release is not None:
                release()
            if response.streaming:
                await self.stream(response, receive, send)
            else:
                await self.send_response(response, send)
        finally:
            body_file.close()

    def serve(self, scope: dict[str, Any], body_file) -> HttpResponseBase:
        """The request's answer, on its thread; closed (``request_finished``) unless it
        streams."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, refused = self.create_request(scope, body_file)
        if request is None:
            response = cast(HttpResponseBase, refused)
        else:
            response = self.get_response(request)
            response._handler_class = self.__class__  # type: ignore[attr-defined]  # as Django's
        if not response.streaming:
            response.close()
        return response

    async def stream(self, response: HttpResponseBase, receive, send) -> None:
        """Send a streaming answer until it ends or the client goes away, then close it."""
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(self.send_response(response, send)),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                if not task.done():
                    task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, RequestAborted):
                    pass
        finally:
            await sync_to_async(response.close, thread_sensitive=True)()
