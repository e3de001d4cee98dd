"""The fake's state: every object by id, who owns it, the event log and idempotency keys.

One :class:`Store` holds everything behind one re-entrant lock (``store.lock``); the HTTP
layer and the Python helpers take it around each operation. Objects are plain dicts in
Stripe's JSON shape; what Stripe does not show by default (a Checkout Session's
``line_items``) is stripped when an object is rendered unless it is expanded.
"""

from __future__ import annotations

import copy
import fnmatch
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

API_VERSION = "2026-08-26.dahlia"
# The platform account (GET /v1/account); Stripe-Account naming it means the platform itself.
PLATFORM_ACCOUNT_ID = "acct_fakestripe_platform"

JSON = dict[str, Any]

# Stripe's id prefix for each kind of object (the kind is the object's ``object`` value).
PREFIXES: dict[str, str] = {
    "customer": "cus",
    "product": "prod",
    "price": "price",
    "checkout.session": "cs_test",
    "billing_portal.session": "bps",
    "subscription": "sub",
    "subscription_item": "si",
    "invoice": "in",
    "line_item": "il",
    "invoice_payment": "inpay",
    "payment_intent": "pi",
    "charge": "ch",
    "application_fee": "fee",
    "payment_method": "pm",
    "refund": "re",
    "dispute": "dp",
    "account": "acct",
    "transfer": "tr",
    "transfer_reversal": "trr",
    "payout": "po",
    "event": "evt",
}

# How "No such ...: 'id'" names each kind, as Stripe's messages do.
LABELS: dict[str, str] = {
    "checkout.session": "checkout.session",
    "billing_portal.session": "billing_portal.session",
    "invoice_payment": "invoice payment",
    "application_fee": "application fee",
}

# Fields Stripe leaves out of an object unless the request expands them.
HIDDEN_UNLESS_EXPANDED: dict[str, tuple[str, ...]] = {"checkout.session": ("line_items",)}

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """A random Stripe-looking id: ``prefix`` + ``_`` + ``length`` base-62 characters."""
    if prefix == "cs_test":
        length = 58
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


class ApiError(Exception):
    """An error answered in Stripe's shape: ``{"error": {"type", "message", "param", "code"}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",  # noqa: A002 (Stripe's field name)
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def body(self) -> JSON:
        """The JSON body Stripe answers for this error."""
        error: JSON = {"type": self.type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        return {"error": error}


def not_found(kind: str, object_id: str, *, param: str = "id", status: int = 404) -> ApiError:
    """Stripe's ``resource_missing`` error for ``object_id`` of ``kind``."""
    label = LABELS.get(kind, kind)
    return ApiError(status, f"No such {label}: '{object_id}'", param=param, code="resource_missing")


def missing_param(param: str) -> ApiError:
    """Stripe's 400 for a required parameter that was not sent."""
    return ApiError(400, f"Missing required param: {param}.", param=param, code="parameter_missing")


@dataclass
class Context:
    """Who asks: the API key, the ``Stripe-Account`` header, the request and idempotency ids.

    The test controls act with an empty context (no request, the platform itself).
    """

    api_key: str | None = None
    account: str | None = None
    request_id: str | None = None
    idempotency_key: str | None = None


@dataclass
class IdempotentResult:
    """The first answer given for an idempotency key, replayed for the same request."""

    method: str
    path: str
    params: JSON
    status: int
    body: JSON


class Store:
    """All objects, their owners, the event log and the idempotency cache."""

    def __init__(self, base_url: str = "http://127.0.0.1") -> None:
        self.lock = threading.RLock()
        self.base_url = base_url
        self.objects: dict[str, JSON] = {}  # id -> object, in creation order
        self.owner: dict[str, str | None] = {}  # id -> connected account that owns it
        self.events: list[JSON] = []
        self.idempotency: dict[tuple[str, str | None, str], IdempotentResult] = {}
        self.extra: dict[str, JSON] = {}  # id -> data Stripe does not show (links' URLs...)
        self.listeners: list[Callable[[JSON], None]] = []
        self._last_created = 0

    # -- time and objects -----------------------------------------------------------------

    def now(self) -> int:
        """Unix seconds, never earlier than the last object's ``created``."""
        self._last_created = max(self._last_created, int(time.time()))
        return self._last_created

    def add(self, obj: JSON, *, owner: str | None = None) -> JSON:
        """Store ``obj`` (which has ``id`` and ``object``) as owned by ``owner``; returns it."""
        self.objects[obj["id"]] = obj
        self.owner[obj["id"]] = owner
        return obj

    def base(self, kind: str, owner: str | None = None, **fields: Any) -> JSON:
        """A new stored object of ``kind`` with Stripe's common fields, then ``fields``."""
        obj: JSON = {
            "id": fields.pop("id", None) or new_id(PREFIXES[kind]),
            "object": kind,
            "created": self.now(),
            "livemode": False,
            "metadata": {},
        }
        obj.update(fields)
        return self.add(obj, owner=owner)

    def find(self, kind: str, object_id: str) -> JSON | None:
        """The stored object ``object_id`` if it is of ``kind`` (no ownership check)."""
        obj = self.objects.get(object_id)
        return obj if obj is not None and obj.get("object") == kind else None

    def visible(self, object_id: str, ctx: Context) -> bool:
        """Whether a request made as ``ctx`` may see ``object_id`` (Connect scoping).

        Objects created with a ``Stripe-Account`` header live on that account and are seen
        only with that header; connected accounts themselves are seen by the platform and,
        with its own header, by the account.
        """
        obj = self.objects.get(object_id)
        if obj is None:
            return False
        if obj.get("object") == "account":
            return ctx.account in (None, object_id)
        return self.owner.get(object_id) == ctx.account

    def get(self, kind: str, object_id: str, ctx: Context, *, param: str = "id") -> JSON:
        """The object of ``kind`` seen as ``ctx``; raises Stripe's 404 when missing."""
        obj = self.find(kind, object_id)
        if obj is None or not self.visible(object_id, ctx):
            raise not_found(kind, object_id, param=param)
        return obj

    def ref(self, kind: str, object_id: str, ctx: Context, param: str) -> JSON:
        """An object named by a request parameter: missing -> 400 naming that parameter."""
        obj = self.find(kind, object_id)
        if obj is None or not self.visible(object_id, ctx):
            raise not_found(kind, object_id, param=param, status=400)
        return obj

    def all(self, kind: str) -> list[JSON]:
        """Every object of ``kind``, oldest first."""
        return [obj for obj in self.objects.values() if obj.get("object") == kind]

    def counts(self) -> dict[str, int]:
        """How many objects of each kind there are, events included."""
        result: dict[str, int] = {}
        for obj in self.objects.values():
            result[obj["object"]] = result.get(obj["object"], 0) + 1
        result["event"] = len(self.events)
        return dict(sorted(result.items()))

    def reset(self) -> None:
        """Forget every object, event and idempotency key."""
        self.objects.clear()
        self.owner.clear()
        self.events.clear()
        self.idempotency.clear()
        self.extra.clear()

    # -- rendering ------------------------------------------------------------------------

    def render(self, obj: JSON, expand: Iterable[str] = ()) -> JSON:
        """A deep copy of ``obj`` as the API shows it, with the ``expand`` paths expanded."""
        expand = list(expand)
        result = copy.deepcopy(obj)
        for field in HIDDEN_UNLESS_EXPANDED.get(obj.get("object", ""), ()):
            if field not in expand:
                result.pop(field, None)
        for path in expand:
            self._expand(result, path.split("."), expand)
        return result

    def _expand(self, node: Any, parts: list[str], expand: list[str]) -> None:
        if not parts or not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        if node.get("object") == "list" and head == "data":
            for item in node.get("data", []):
                self._expand(item, rest, expand)
            return
        value = node.get(head)
        if isinstance(value, str) and value in self.objects:
            value = node[head] = self.render(self.objects[value])
        if isinstance(value, list):
            for item in value:
                self._expand(item, rest, expand)
        else:
            self._expand(value, rest, expand)

    def list_object(self, url: str, items: list[JSON]) -> JSON:
        """A complete embedded list (``has_more: false``), as in ``subscription.items``."""
        return {
            "object": "list",
            "data": items,
            "has_more": False,
            "total_count": len(items),
            "url": url,
        }

    def page(self, url: str, items: list[JSON], params: JSON, expand: Iterable[str] = ()) -> JSON:
        """A list answer: ``items`` (oldest first) newest first, paginated by ``params``."""
        from .forms import ParamError, as_int

        try:
            limit = as_int(params, "limit")
        except ParamError as exc:
            raise ApiError(400, exc.message, param=exc.param) from None
        limit = 10 if limit is None else limit
        if not 1 <= limit <= 100:
            raise ApiError(400, "Invalid limit: must be between 1 and 100", param="limit")
        newest_first = list(reversed(items))
        ids = [item["id"] for item in newest_first]
        after, before = params.get("starting_after"), params.get("ending_before")
        if after:
            if after not in ids:
                raise not_found(
                    newest_first[0]["object"] if newest_first else "object",
                    after,
                    param="starting_after",
                    status=400,
                )
            rest = newest_first[ids.index(after) + 1 :]
            data, has_more = rest[:limit], len(rest) > limit
        elif before:
            if before not in ids:
                raise not_found(
                    newest_first[0]["object"] if newest_first else "object",
                    before,
                    param="ending_before",
                    status=400,
                )
            rest = newest_first[: ids.index(before)]
            data, has_more = rest[-limit:], len(rest) > limit
        else:
            data, has_more = newest_first[:limit], len(newest_first) > limit
        expand_items = [path[len("data.") :] for path in expand if path.startswith("data.")]
        return {
            "object": "list",
            "data": [self.render(item, expand_items) for item in data],
            "has_more": has_more,
            "url": url,
        }

    # -- events ---------------------------------------------------------------------------

    def emit(
        self,
        type: str,  # noqa: A002 (Stripe's field name)
        obj: JSON,
        ctx: Context,
        *,
        previous: JSON | None = None,
        account: str | None = None,
    ) -> JSON:
        """Record an event of ``type`` with a snapshot of ``obj``; listeners see it at once.

        The event's ``account`` is ``account``, else the owner of ``obj``, else the request's
        ``Stripe-Account``: Connect events carry it, platform events do not.
        """
        account = account or self.owner.get(obj["id"]) or ctx.account
        data: JSON = {"object": self.render(obj)}
        if previous is not None:
            data["previous_attributes"] = copy.deepcopy(previous)
        event: JSON = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
            "type": type,
        }
        if account:
            event["account"] = account
        self.events.append(event)
        self.objects[event["id"]] = event
        self.owner[event["id"]] = account
        for listener in self.listeners:
            listener(event)
        return event

    def find_events(self, type: str | None = None) -> list[JSON]:  # noqa: A002
        """Every event (all accounts) oldest first, of ``type`` (``*`` wildcards) if given."""
        return [
            copy.deepcopy(event)
            for event in self.events
            if type is None or fnmatch.fnmatchcase(event["type"], type)
        ]


def diff(before: JSON, after: JSON) -> JSON:
    """Stripe's ``previous_attributes``: the old values of the top-level fields that changed.

    ``metadata`` is compared key by key (a new key's old value is ``None``), as Stripe does.
    """
    previous: JSON = {}
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key == "metadata" and isinstance(old, dict) and isinstance(new, dict):
            previous[key] = {
                k: old.get(k) for k in old.keys() | new.keys() if old.get(k) != new.get(k)
            }
        else:
            previous[key] = copy.deepcopy(old)
    return previous
