"""The HTTP layer: Stripe's API under ``/v1``, test controls under ``/_fake``, small pages
for the hosted URLs, and :class:`FakeStripe`, which runs it all on 127.0.0.1."""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit

from . import controls
from .api import ROUTES
from .forms import ParamError, as_int, parse_form
from .state import (
    API_VERSION,
    JSON,
    PLATFORM_ACCOUNT_ID,
    ApiError,
    Context,
    IdempotentResult,
    Store,
    new_id,
)
from .webhooks import Deliverer, Delivery, post

Route = tuple[str, re.Pattern[str], Callable[..., JSON]]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(pattern).replace(r"\{id\}", "([^/]+)") + "$")


API_ROUTES: list[Route] = [(method, _compile(pattern), func) for method, pattern, func in ROUTES]


def _control_routes(fake: FakeStripe) -> list[Route]:
    """The ``/_fake`` endpoints, bound to ``fake``."""
    store = fake.store

    table: list[tuple[str, str, Callable[..., JSON]]] = [
        (
            "POST",
            "/_fake/checkout/{id}/complete",
            lambda p, sid: controls.complete_checkout(
                store, sid, email=p.get("email"), name=p.get("name")
            ),
        ),
        (
            "POST",
            "/_fake/subscriptions/{id}/renew",
            lambda p, sid: controls.renew(
                store, sid, succeed=controls.to_bool(p.get("succeed"), True)
            ),
        ),
        (
            "POST",
            "/_fake/subscriptions/{id}/expire",
            lambda p, sid: controls.expire(store, sid, status=p.get("status") or "canceled"),
        ),
        (
            "POST",
            "/_fake/charges/{id}/dispute",
            lambda p, cid: controls.dispute(
                store,
                cid,
                amount=as_int(p, "amount", minimum=1),
                reason=p.get("reason") or "fraudulent",
            ),
        ),
        (
            "POST",
            "/_fake/disputes/{id}/close",
            lambda p, did: controls.close_dispute(store, did, outcome=p.get("outcome") or "won"),
        ),
        ("POST", "/_fake/accounts/{id}/onboard", lambda p, aid: controls.onboard(store, aid)),
        ("POST", "/_fake/payouts", lambda p: fake._payout_from_params(p)),
        ("GET", "/_fake/state", lambda p: controls.state(store)),
        ("GET", "/_fake/transfers", lambda p: {"data": fake.transfers()}),
        ("GET", "/_fake/events", lambda p: {"data": store.find_events(p.get("type") or None)}),
        ("GET", "/_fake/deliveries", lambda p: {"data": fake.deliveries()}),
        ("GET", "/_fake/requests", lambda p: {"data": list(fake.requests)}),
        ("POST", "/_fake/reset", lambda p: fake._reset_unlocked()),
    ]
    return [(method, _compile(pattern), func) for method, pattern, func in table]


def _match(
    routes: list[Route], method: str, path: str
) -> tuple[Callable[..., JSON], tuple[str, ...]] | None:
    for route_method, pattern, func in routes:
        found = pattern.match(path)
        if found and route_method == method:
            return func, found.groups()
    return None


def _page(title: str, body: str) -> bytes:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} · Fake Stripe</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}<p><small>Fake Stripe (tests)</small></p></body></html>"
    ).encode()


def _api_key(header: str | None) -> str | None:
    """The secret key of an ``Authorization`` header (Bearer, or Basic with the key as user)."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode().partition(":")[0] or None
        except ValueError:
            return None
    return None


class _Handler(BaseHTTPRequestHandler):
    """One request: dispatches to the API, the controls or the pages of its FakeStripe."""

    server_version = "FakeStripe/1.0"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms stalls
    fake: FakeStripe  # set on the subclass made for each server
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's names)
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    # -- plumbing -----------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _json(self, status: int, body: JSON, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, indent=2).encode()
        self._send(status, data, "application/json", headers)

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        body = self._body()
        if path.startswith("/v1/") or path == "/v1":
            self._api(method, path, split.query, body)
        elif path.startswith("/_fake/"):
            self._control(method, path, split.query, body)
        else:
            self._pages(method, path, body)

    # -- Stripe's API ----------------------------------------------------------------------

    def _api(self, method: str, path: str, query: str, body: bytes) -> None:
        fake = self.fake
        request_id = new_id("req", 14)
        headers = {"Request-Id": request_id, "Stripe-Version": API_VERSION}
        api_key = _api_key(self.headers.get("Authorization"))
        if not api_key or not api_key.startswith("sk_test_"):
            message = (
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
                if not api_key
                else f"Invalid API Key provided: {api_key[:8]}{'*' * max(4, len(api_key) - 12)}"
            )
            fake.requests.append({"method": method, "path": path, "status": 401})
            self._json(401, ApiError(401, message).body(), headers)
            return
        params = parse_form(query)
        if method == "POST":
            params.update(parse_form(body.decode("utf-8", "replace")))
        idempotency_key = self.headers.get("Idempotency-Key") if method == "POST" else None
        ctx = Context(
            api_key=api_key,
            # The platform's own id in Stripe-Account means the platform (dj-stripe sends it).
            account=_connected(self.headers.get("Stripe-Account")),
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        with fake.store.lock:
            status, answer, replayed = self._api_locked(method, path, params, ctx)
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        delay = fake.latency.get(f"{method} {path}")
        if delay:
            # After the work, before the answer: the window in which a client that dies
            # has had its request carried out without knowing it.
            time.sleep(delay)
        fake.requests.append(
            {"method": method, "path": path, "status": status, "request_id": request_id}
        )
        self._json(status, answer, headers)

    def _api_locked(
        self, method: str, path: str, params: JSON, ctx: Context
    ) -> tuple[int, JSON, bool]:
        store = self.fake.store
        cache_key = (ctx.api_key or "", ctx.account, ctx.idempotency_key or "")
        if ctx.idempotency_key:
            first = store.idempotency.get(cache_key)
            if first is not None:
                if (first.method, first.path) != (method, path):
                    error = ApiError(
                        400,
                        "Keys for idempotent requests can only be used for the same endpoint they "
                        f"were first used for ('{first.method} {first.path}' vs '{method} {path}'). "
                        f"Try using a key other than '{ctx.idempotency_key}' if you meant to execute "
                        "a different request.",
                        type="idempotency_error",
                    )
                    return 400, error.body(), False
                if first.params != params:
                    error = ApiError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they "
                        f"were first used with. Try using a key other than '{ctx.idempotency_key}' if "
                        "you meant to execute a different request.",
                        type="idempotency_error",
                    )
                    return 400, error.body(), False
                return first.status, first.body, True
        found = _match(API_ROUTES, method, path)
        if found is None:
            error = ApiError(
                404,
                f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
                "or we can help at https://support.stripe.com/.",
            )
            return 404, error.body(), False
        func, args = found
        try:
            answer, status = func(store, ctx, params, *args), 200
        except ParamError as exc:
            answer, status = ApiError(400, exc.message, param=exc.param).body(), 400
        except ApiError as exc:
            answer, status = exc.body(), exc.status
        except Exception as exc:  # a bug of the fake: say so, as Stripe's 500 would
            traceback.print_exc()
            answer, status = (
                ApiError(500, f"fakestripe failed: {exc!r}", type="api_error").body(),
                500,
            )
        if ctx.idempotency_key and status < 400:
            store.idempotency[cache_key] = IdempotentResult(method, path, params, status, answer)
        return status, answer, False

    # -- test controls --------------------------------------------------------------------

    def _control(self, method: str, path: str, query: str, body: bytes) -> None:
        params = parse_form(query)
        if body:
            if "json" in (self.headers.get("Content-Type") or ""):
                try:
                    loaded = json.loads(body)
                except ValueError:
                    self._json(400, ApiError(400, "Invalid JSON body").body())
                    return
                params.update(loaded if isinstance(loaded, dict) else {})
            else:
                params.update(parse_form(body.decode("utf-8", "replace")))
        found = _match(self.fake.control_routes, method, path)
        if found is None:
            self._json(404, ApiError(404, f"Unrecognized test control ({method}: {path}).").body())
            return
        func, args = found
        try:
            with self.fake.store.lock:
                answer = func(params, *args)
        except ParamError as exc:
            self._json(400, ApiError(400, exc.message, param=exc.param).body())
            return
        except ApiError as exc:
            self._json(exc.status, exc.body())
            return
        except Exception as exc:
            traceback.print_exc()
            self._json(500, ApiError(500, f"fakestripe failed: {exc!r}", type="api_error").body())
            return
        self._json(200, answer)

    # -- hosted pages ---------------------------------------------------------------------

    def _redirect(self, url: str) -> None:
        self._send(303, b"", "text/plain", {"Location": url})

    def _pages(self, method: str, path: str, body: bytes) -> None:
        store = self.fake.store
        parts = path.strip("/").split("/")
        kind, object_id = (parts + ["", ""])[:2]
        with store.lock:
            if kind == "pay" and (session := store.find("checkout.session", object_id)):
                if method == "POST" and session["status"] == "open":
                    controls.complete_checkout(
                        store, object_id, email=parse_form(body.decode()).get("email")
                    )
                    if session["success_url"]:
                        self._redirect(
                            session["success_url"].replace("{CHECKOUT_SESSION_ID}", object_id)
                        )
                        return
                cancel = html.escape(session["cancel_url"] or "#")
                page = _page(
                    f"Checkout {session['status']}",
                    f"<p>{html.escape(session['mode'])}: {session['amount_total']} {session['currency']}</p>"
                    f"<form method='post'><input name='email' value='{html.escape(session['customer_email'] or '')}'>"
                    f"<button>Pay</button></form><p><a href='{cancel}'>Cancel</a></p>",
                )
            elif kind == "portal" and (portal := store.find("billing_portal.session", object_id)):
                back = html.escape(portal["return_url"] or "#")
                page = _page(
                    "Customer portal",
                    f"<p>{portal['customer']}</p><p><a href='{back}'>Return</a></p>",
                )
            elif kind == "onboard" and (account := store.find("account", object_id)):
                urls = store.extra.get(object_id, {})
                if method == "POST":
                    controls.onboard(store, object_id)
                    if urls.get("return_url"):
                        self._redirect(urls["return_url"])
                        return
                page = _page(
                    f"Onboarding {account['id']}",
                    f"<p>charges_enabled: {account['charges_enabled']}</p>"
                    "<form method='post'><button>Submit details</button></form>",
                )
            elif kind in ("invoice", "receipts") and object_id in store.objects:
                page = _page(f"{kind.rstrip('s').title()} {object_id}", "")
            else:
                self._send(404, _page("Not found", ""), "text/html; charset=utf-8")
                return
        self._send(200, page, "text/html; charset=utf-8")


def _connected(header: str | None) -> str | None:
    """The connected account a ``Stripe-Account`` header names; ``None`` for the platform."""
    if not header or header == PLATFORM_ACCOUNT_ID:
        return None
    return header


class FakeStripe:
    """A stateful fake of Stripe's API on ``http://127.0.0.1:<port>``, with webhooks.

    ``deliver="auto"`` posts every event to ``webhook_url`` (when set) from a background
    thread, in order, signed with ``webhook_secret`` (random ``whsec_...`` when not given);
    ``"manual"`` sends nothing: tests read :meth:`events` and post them with
    :meth:`send_event` or :func:`~tests.fakestripe.sign`. Use as a context manager, or
    :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        deliver: Literal["auto", "manual"] = "auto",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_attempts: int = 4,
        webhook_backoff: float = 0.05,
        latency: dict[str, float] | None = None,
    ) -> None:
        if deliver not in ("auto", "manual"):
            raise ValueError("deliver must be 'auto' or 'manual'")
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret or "whsec_" + secrets.token_hex(16)
        self.deliver = deliver
        # "POST /v1/transfers" -> seconds to wait after carrying out such a request and
        # before answering it (a slow or far-away Stripe; a client killed while waiting).
        self.latency: dict[str, float] = dict(latency or {})
        self.host = host
        self.port = port
        self.store = Store()
        self.store.listeners.append(self._on_event)
        self.deliverer = Deliverer(attempts=webhook_attempts, backoff=webhook_backoff)
        self.requests: list[JSON] = []
        self.control_routes = _control_routes(self)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- running --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the bound port once started)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeStripe:
        """Bind (a free port unless one was given), serve in a daemon thread; returns self."""
        if self._httpd is not None:
            return self
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer((self.host, self.port), handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self.store.base_url = self.url
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="fakestripe-http", daemon=True
        )
        self._thread.start()
        self.deliverer.start()
        return self

    def stop(self) -> None:
        """Stop serving and delivering (queued webhooks are dropped)."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.deliverer.stop()

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- webhooks -------------------------------------------------------------------------

    def _on_event(self, event: JSON) -> None:
        if self.deliver == "auto" and self.webhook_url:
            payload = self._payload(event)
            self.deliverer.enqueue(
                event["id"], event["type"], payload, self.webhook_url, self.webhook_secret
            )

    @staticmethod
    def _payload(event: JSON) -> bytes:
        return json.dumps(event, indent=2).encode()

    def event_payload(self, event_id: str) -> bytes:
        """The exact webhook body of ``event_id`` (the event object as JSON)."""
        with self.store.lock:
            event = self.store.find("event", event_id)
            if event is None:
                raise ApiError(
                    404, f"No such event: '{event_id}'", param="id", code="resource_missing"
                )
            return self._payload(event)

    def send_event(self, event_id: str, url: str | None = None, secret: str | None = None) -> int:
        """POST one event now, signed, to ``url`` (default ``webhook_url``); returns the status.

        For ``deliver="manual"``; the attempt is recorded like the automatic ones.
        """
        target = url or self.webhook_url
        if not target:
            raise ValueError("no url to send the event to")
        payload = self.event_payload(event_id)
        event_type = json.loads(payload)["type"]
        try:
            status: int | None = post(target, payload, secret or self.webhook_secret)
            error = None
        except OSError as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"
        self.deliverer.deliveries.append(Delivery(event_id, event_type, 1, target, status, error))
        if status is None:
            raise ConnectionError(error)
        return status

    def flush_webhooks(self, timeout: float = 10.0) -> bool:
        """Wait until every queued webhook was delivered or given up on; False on timeout."""
        return self.deliverer.flush(timeout)

    def deliveries(self) -> list[JSON]:
        """Every delivery attempt so far: event, type, attempt, url, status, error, at."""
        return [delivery.as_json() for delivery in list(self.deliverer.deliveries)]

    # -- test controls (the same code as /_fake/...) --------------------------------------------

    def complete_checkout(
        self, session_id: str, *, email: str | None = None, name: str | None = None
    ) -> JSON:
        """The customer pays the Checkout Session (see :func:`controls.complete_checkout`)."""
        with self.store.lock:
            return controls.complete_checkout(self.store, session_id, email=email, name=name)

    def renew(self, sub_id: str, succeed: bool = True) -> JSON:
        """Bill the subscription's next period, or retry its open invoice (:func:`controls.renew`)."""
        with self.store.lock:
            return controls.renew(self.store, sub_id, succeed=succeed)

    def expire(self, sub_id: str, status: str = "canceled") -> JSON:
        """End the subscription as dunning would: ``canceled`` or ``unpaid``."""
        with self.store.lock:
            return controls.expire(self.store, sub_id, status=status)

    def dispute(
        self, charge_id: str, amount: int | None = None, reason: str = "fraudulent"
    ) -> JSON:
        """Open a dispute on the charge (``charge.dispute.created``)."""
        with self.store.lock:
            return controls.dispute(self.store, charge_id, amount=amount, reason=reason)

    def close_dispute(self, dispute_id: str, outcome: str = "won") -> JSON:
        """Close the dispute as ``won`` or ``lost`` (``charge.dispute.closed``)."""
        with self.store.lock:
            return controls.close_dispute(self.store, dispute_id, outcome=outcome)

    def onboard(self, account_id: str) -> JSON:
        """Finish the connected account's onboarding (``account.updated``)."""
        with self.store.lock:
            return controls.onboard(self.store, account_id)

    def payout(
        self, account: str, amount: int, outcome: str = "paid", currency: str | None = None
    ) -> JSON:
        """Pay out to the connected account (``payout.paid`` or ``payout.failed``)."""
        with self.store.lock:
            return controls.payout(self.store, account, amount, currency=currency, outcome=outcome)

    def _payout_from_params(self, params: JSON) -> JSON:
        if not params.get("account"):
            raise ApiError(400, "Missing required param: account.", param="account")
        amount = as_int(params, "amount", minimum=1)
        if amount is None:
            raise ApiError(400, "Missing required param: amount.", param="amount")
        return controls.payout(
            self.store,
            params["account"],
            amount,
            currency=params.get("currency") or None,
            outcome=params.get("outcome") or "paid",
        )

    def events(self, type: str | None = None) -> list[JSON]:  # noqa: A002 (Stripe's name)
        """Every event, oldest first (all accounts); only ``type`` (``*`` wildcards) if given."""
        with self.store.lock:
            return self.store.find_events(type)

    def transfers(self) -> list[JSON]:
        """Every transfer ever created (all accounts), oldest first."""
        with self.store.lock:
            return [self.store.render(obj) for obj in self.store.all("transfer")]

    def state(self) -> dict[str, int]:
        """How many objects of each kind there are (events included)."""
        with self.store.lock:
            return self.store.counts()

    def reset(self) -> None:
        """Forget everything: objects, events, idempotency keys, deliveries, request log."""
        with self.store.lock:
            self._reset_unlocked()

    def _reset_unlocked(self) -> JSON:
        self.store.reset()
        self.deliverer.reset()
        self.requests.clear()
        return {"reset": True, "events": []}
