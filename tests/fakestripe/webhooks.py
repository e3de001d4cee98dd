"""Webhook signing in Stripe's scheme, and delivery of events from a background thread."""

from __future__ import annotations

import hashlib
import hmac
import queue
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header for ``payload``: ``t=<unix>,v1=<hex>``, where the hex is
    the HMAC-SHA256 of ``"<t>.<payload>"`` keyed with ``secret`` (Stripe's scheme)."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8")
    t = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode("utf-8"), f"{t}.{payload}".encode(), hashlib.sha256)
    return f"t={t},v1={digest.hexdigest()}"


def post(url: str, payload: bytes, secret: str | None, timeout: float = 10.0) -> int:
    """POST ``payload`` to ``url`` as Stripe delivers a webhook; returns the HTTP status.

    Raises ``OSError`` (``URLError``) when no answer came. Without a ``secret`` the
    ``Stripe-Signature`` header is left out.
    """
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
    if secret:
        headers["Stripe-Signature"] = sign(payload, secret)
    request = urllib.request.Request(url, data=payload, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.read()
        return int(exc.code)


@dataclass
class Delivery:
    """One attempt to deliver an event: ``status`` is the answer's code, ``None`` if none."""

    event: str
    type: str
    attempt: int
    url: str
    status: int | None
    error: str | None = None
    at: float = field(default_factory=time.time)

    def as_json(self) -> dict[str, Any]:
        """The attempt as listed by ``GET /_fake/deliveries``."""
        return {
            "event": self.event,
            "type": self.type,
            "attempt": self.attempt,
            "url": self.url,
            "status": self.status,
            "error": self.error,
            "at": self.at,
        }


class Deliverer:
    """Posts queued events one at a time, in order, retrying failures with a short backoff.

    ``attempts`` tries in all per event, waiting ``backoff``, then twice that, and so on,
    between them. :meth:`flush` waits until the queue is empty.
    """

    def __init__(self, attempts: int = 4, backoff: float = 0.05, timeout: float = 10.0) -> None:
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[tuple[int, str, str, bytes, str, str | None] | None] = (
            queue.Queue()
        )
        self._generation = 0
        self._idle = threading.Condition()
        self._pending = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the delivery thread (a daemon)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="fakestripe-webhooks", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop after the attempt under way; what is still queued is dropped."""
        if self._thread is not None:
            self._generation += 1
            self._queue.put(None)
            self._thread.join(timeout=self.timeout + 1)
            self._thread = None

    def enqueue(
        self, event_id: str, event_type: str, payload: bytes, url: str, secret: str | None
    ) -> None:
        """Queue one event's delivery to ``url``."""
        with self._idle:
            self._pending += 1
        self._queue.put((self._generation, event_id, event_type, payload, url, secret))

    def reset(self) -> None:
        """Drop queued deliveries and forget the recorded attempts."""
        self._generation += 1
        self.deliveries = []

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event was delivered or given up on; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                generation, event_id, event_type, payload, url, secret = item
                if generation == self._generation:
                    self._deliver(generation, event_id, event_type, payload, url, secret)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(
        self,
        generation: int,
        event_id: str,
        event_type: str,
        payload: bytes,
        url: str,
        secret: str | None,
    ) -> None:
        for attempt in range(1, self.attempts + 1):
            status: int | None = None
            error: str | None = None
            try:
                status = post(url, payload, secret, self.timeout)
            except OSError as exc:
                error = f"{type(exc).__name__}: {exc}"
            if generation != self._generation:
                return
            self.deliveries.append(Delivery(event_id, event_type, attempt, url, status, error))
            if status is not None and 200 <= status < 300:
                return
            if attempt < self.attempts:
                time.sleep(self.backoff * 2 ** (attempt - 1))
