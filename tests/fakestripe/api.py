"""Stripe's API endpoints (``/v1/...``): each handler takes the store, the request context,
the parsed parameters and the path's ids, and answers the JSON object (or raises ApiError).

``ROUTES`` maps ``(method, path pattern)`` to handlers; the server matches and calls them
with the store's lock held.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Callable
from typing import Any

from . import billing
from .forms import ParamError, as_bool, as_dict, as_float, as_int, as_list
from .state import JSON, PLATFORM_ACCOUNT_ID, ApiError, Context, Store, diff, missing_param, new_id

Handler = Callable[..., JSON]
ROUTES: list[tuple[str, str, Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``method`` and ``pattern`` (``{id}`` matches one path segment)."""

    def register(func: Handler) -> Handler:
        ROUTES.append((method, pattern, func))
        return func

    return register


def required(params: JSON, name: str) -> Any:
    """``params[name]``, or Stripe's 400 ``Missing required param``."""
    value = params.get(name)
    if value is None or value == "":
        raise missing_param(name)
    return value


def metadata(params: JSON, name: str = "metadata", current: JSON | None = None) -> JSON:
    """``current`` updated by ``params[name]`` as Stripe does: ``""`` unsets a key,
    ``metadata=""`` clears them all."""
    result = dict(current or {})
    raw = params.get(name)
    if raw is None:
        return result
    if raw == "":
        return {}
    if isinstance(raw, list):  # numeric keys: metadata[0]=...
        raw = {str(i): v for i, v in enumerate(raw)}
    if not isinstance(raw, dict):
        raise ApiError(400, "Invalid object", param=name)
    for key, value in raw.items():
        if value == "":
            result.pop(key, None)
        else:
            result[key] = str(value)
    return result


def expand_of(params: JSON) -> list[str]:
    """The ``expand[]`` paths of a request."""
    return [str(path) for path in as_list(params, "expand")]


def show(store: Store, obj: JSON, params: JSON) -> JSON:
    """``obj`` as answered, with the request's ``expand[]`` applied."""
    return store.render(obj, expand_of(params))


def created_filter(params: JSON, created: int) -> bool:
    """Whether ``created`` passes ``created`` / ``created[gt|gte|lt|lte]`` of ``params``."""
    bound = params.get("created")
    if bound is None or bound == "":
        return True
    if not isinstance(bound, dict):
        return created == as_int(params, "created")
    checks = {
        "gt": created.__gt__,
        "gte": created.__ge__,
        "lt": created.__lt__,
        "lte": created.__le__,
    }
    for op, check in checks.items():
        try:
            value = as_int(bound, op)
        except ParamError as exc:
            raise ParamError(f"created[{op}]", exc.message) from None
        if value is not None and not check(value):
            return False
    return True


def listing(
    store: Store,
    ctx: Context,
    params: JSON,
    kind: str,
    url: str,
    filters: dict[str, Callable[[JSON, Any], bool]] | None = None,
) -> JSON:
    """A paginated list of the ``kind`` objects ``ctx`` may see, filtered by ``filters``
    (parameter name -> predicate(object, value)) for the parameters that were sent."""
    items = [obj for obj in store.all(kind) if store.visible(obj["id"], ctx)]
    for name, predicate in (filters or {}).items():
        value = params.get(name)
        if value is not None and value != "":
            items = [obj for obj in items if predicate(obj, value)]
    items = [obj for obj in items if created_filter(params, obj["created"])]
    return store.page(url, items, params, expand_of(params))


def field_is(field: str) -> Callable[[JSON, Any], bool]:
    """A list filter: the object's ``field`` equals the parameter."""
    return lambda obj, value: obj.get(field) == value


def bool_field_is(field: str) -> Callable[[JSON, Any], bool]:
    """A list filter: the object's boolean ``field`` equals the ``true``/``false`` parameter."""
    return lambda obj, value: obj.get(field) == (str(value).lower() == "true")


# -- products, prices, customers ------------------------------------------------------------


@route("POST", "/v1/products")
def create_product(store: Store, ctx: Context, params: JSON) -> JSON:
    name = required(params, "name")
    if params.get("id") and params["id"] in store.objects:
        raise ApiError(400, "Product already exists.", param="id", code="resource_already_exists")
    product = store.base(
        "product",
        ctx.account,
        id=params.get("id") or None,
        active=as_bool(params, "active") is not False,
        default_price=None,
        description=params.get("description") or None,
        images=as_list(params, "images"),
        marketing_features=[],
        metadata=metadata(params),
        name=name,
        package_dimensions=None,
        shippable=None,
        statement_descriptor=None,
        tax_code=None,
        type="service",
        unit_label=None,
        url=None,
    )
    product["updated"] = product["created"]
    store.emit("product.created", product, ctx)
    return show(store, product, params)


@route("GET", "/v1/products")
def list_products(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(
        store, ctx, params, "product", "/v1/products", {"active": bool_field_is("active")}
    )


@route("GET", "/v1/products/{id}")
def get_product(store: Store, ctx: Context, params: JSON, product_id: str) -> JSON:
    return show(store, store.get("product", product_id, ctx), params)


@route("POST", "/v1/prices")
def create_price(store: Store, ctx: Context, params: JSON) -> JSON:
    currency = str(required(params, "currency")).lower()
    unit_amount = as_int(params, "unit_amount", minimum=0)
    if unit_amount is None:
        raise missing_param("unit_amount")
    recurring_params = as_dict(params, "recurring")
    recurring = None
    if recurring_params:
        interval = recurring_params.get("interval")
        if interval not in ("day", "week", "month", "year"):
            raise ApiError(400, "Invalid recurring[interval]", param="recurring[interval]")
        recurring = {
            "interval": interval,
            "interval_count": as_int(recurring_params, "interval_count", minimum=1) or 1,
            "meter": None,
            "trial_period_days": None,
            "usage_type": recurring_params.get("usage_type") or "licensed",
        }
    if params.get("product"):
        product = store.ref("product", params["product"], ctx, "product")
    elif as_dict(params, "product_data"):
        product_data = as_dict(params, "product_data")
        if not product_data.get("name"):
            raise missing_param("product_data[name]")
        product = create_product(
            store, ctx, {"name": product_data["name"], "metadata": product_data.get("metadata")}
        )
    else:
        raise missing_param("product")
    lookup_key = params.get("lookup_key") or None
    if lookup_key:
        holder = [
            p
            for p in store.all("price")
            if p["lookup_key"] == lookup_key and store.owner[p["id"]] == ctx.account
        ]
        if holder and not as_bool(params, "transfer_lookup_key"):
            raise ApiError(
                400,
                f"A price (`{holder[0]['id']}`) already uses that lookup key.",
                param="lookup_key",
            )
        for old in holder:
            old["lookup_key"] = None
    price = store.base(
        "price",
        ctx.account,
        active=as_bool(params, "active") is not False,
        billing_scheme="per_unit",
        currency=currency,
        custom_unit_amount=None,
        lookup_key=lookup_key,
        metadata=metadata(params),
        nickname=params.get("nickname") or None,
        product=product["id"],
        recurring=recurring,
        tax_behavior=params.get("tax_behavior") or "unspecified",
        tiers_mode=None,
        transform_quantity=None,
        type="recurring" if recurring else "one_time",
        unit_amount=unit_amount,
        unit_amount_decimal=str(unit_amount),
    )
    store.emit("price.created", price, ctx)
    return show(store, price, params)


@route("GET", "/v1/prices")
def list_prices(store: Store, ctx: Context, params: JSON) -> JSON:
    filters: dict[str, Callable[[JSON, Any], bool]] = {
        "active": bool_field_is("active"),
        "currency": field_is("currency"),
        "product": field_is("product"),
        "type": field_is("type"),
    }
    keys = {str(key) for key in as_list(params, "lookup_keys")}
    if keys:
        params = {**params, "lookup_keys": "set"}
        filters["lookup_keys"] = lambda obj, _: obj.get("lookup_key") in keys
    return listing(store, ctx, params, "price", "/v1/prices", filters)


@route("GET", "/v1/prices/{id}")
def get_price(store: Store, ctx: Context, params: JSON, price_id: str) -> JSON:
    return show(store, store.get("price", price_id, ctx), params)


@route("POST", "/v1/prices/{id}")
def update_price(store: Store, ctx: Context, params: JSON, price_id: str) -> JSON:
    """Prices are immutable but for ``active``, ``nickname``, ``lookup_key`` and metadata."""
    price = store.get("price", price_id, ctx)
    before = copy.deepcopy(price)
    if "active" in params:
        price["active"] = as_bool(params, "active") is not False
    for field in ("nickname", "lookup_key"):
        if field in params:
            price[field] = params[field] or None
    price["metadata"] = metadata(params, current=price["metadata"])
    previous = diff(before, price)
    if previous:
        store.emit("price.updated", price, ctx, previous=previous)
    return show(store, price, params)


@route("POST", "/v1/customers")
def create_customer(store: Store, ctx: Context, params: JSON) -> JSON:
    cust = billing.customer(
        store,
        ctx.account,
        email=params.get("email") or None,
        name=params.get("name") or None,
        description=params.get("description") or None,
        phone=params.get("phone") or None,
        metadata=metadata(params),
    )
    store.emit("customer.created", cust, ctx)
    return show(store, cust, params)


@route("POST", "/v1/customers/{id}")
def update_customer(store: Store, ctx: Context, params: JSON, customer_id: str) -> JSON:
    cust = store.get("customer", customer_id, ctx)
    before = copy.deepcopy(cust)
    for field in ("email", "name", "description", "phone"):
        if field in params:
            cust[field] = params[field] or None
    cust["metadata"] = metadata(params, current=cust["metadata"])
    previous = diff(before, cust)
    if previous:
        store.emit("customer.updated", cust, ctx, previous=previous)
    return show(store, cust, params)


@route("GET", "/v1/customers")
def list_customers(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(store, ctx, params, "customer", "/v1/customers", {"email": field_is("email")})


@route("GET", "/v1/customers/{id}")
def get_customer(store: Store, ctx: Context, params: JSON, customer_id: str) -> JSON:
    return show(store, store.get("customer", customer_id, ctx), params)


@route("GET", "/v1/payment_methods")
def list_payment_methods(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(
        store,
        ctx,
        params,
        "payment_method",
        "/v1/payment_methods",
        {"customer": field_is("customer"), "type": field_is("type")},
    )


@route("GET", "/v1/payment_methods/{id}")
def get_payment_method(store: Store, ctx: Context, params: JSON, pm_id: str) -> JSON:
    return show(store, store.get("payment_method", pm_id, ctx), params)


@route("GET", "/v1/customers/{id}/payment_methods")
def list_customer_payment_methods(
    store: Store, ctx: Context, params: JSON, customer_id: str
) -> JSON:
    store.get("customer", customer_id, ctx)
    return listing(
        store,
        ctx,
        {**params, "customer": customer_id},
        "payment_method",
        f"/v1/customers/{customer_id}/payment_methods",
        {"customer": field_is("customer"), "type": field_is("type")},
    )


@route("GET", "/v1/customers/{id}/payment_methods/{id}")
def get_customer_payment_method(
    store: Store, ctx: Context, params: JSON, customer_id: str, pm_id: str
) -> JSON:
    store.get("customer", customer_id, ctx)
    pm = store.get("payment_method", pm_id, ctx)
    if pm["customer"] != customer_id:
        raise ApiError(
            404,
            f"Customer {customer_id} does not have a payment method with ID {pm_id}",
            param="payment_method",
            code="resource_missing",
        )
    return show(store, pm, params)


# -- checkout and the customer portal -----------------------------------------------------------


def _line_items(store: Store, ctx: Context, params: JSON, mode: str) -> list[JSON]:
    raw = as_list(params, "line_items")
    if not raw:
        raise missing_param("line_items")
    items: list[JSON] = []
    for i, line in enumerate(raw):
        if not isinstance(line, dict):
            raise ApiError(400, "Invalid line item", param=f"line_items[{i}]")
        if not line.get("price"):
            raise missing_param(f"line_items[{i}][price]")
        price = store.ref("price", line["price"], ctx, f"line_items[{i}][price]")
        if not price["active"]:
            raise ApiError(
                400, f"The price `{price['id']}` is not active.", param=f"line_items[{i}][price]"
            )
        if mode == "payment" and price["type"] == "recurring":
            raise ApiError(
                400,
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
                param=f"line_items[{i}][price]",
            )
        try:
            quantity = as_int(line, "quantity", minimum=1) or 1
        except ParamError as exc:
            raise ApiError(400, exc.message, param=f"line_items[{i}][quantity]") from None
        items.append({"price": price, "quantity": quantity})
    if mode == "subscription" and not any(item["price"]["type"] == "recurring" for item in items):
        raise ApiError(
            400,
            "You must provide at least one recurring price in `subscription` mode when using prices.",
            param="line_items",
        )
    return items


@route("POST", "/v1/checkout/sessions")
def create_checkout_session(store: Store, ctx: Context, params: JSON) -> JSON:
    mode = required(params, "mode")
    if mode not in ("payment", "subscription"):
        raise ApiError(
            400, f"The fake supports `payment` and `subscription` mode, not `{mode}`.", param="mode"
        )
    items = _line_items(store, ctx, params, mode)
    customer_id = params.get("customer") or None
    if customer_id:
        store.ref("customer", customer_id, ctx, "customer")
    if customer_id and params.get("customer_email"):
        raise ApiError(
            400,
            "You may only specify one of these parameters: customer, customer_email.",
            param="customer_email",
        )
    sub_data = as_dict(params, "subscription_data")
    if sub_data and mode != "subscription":
        raise ApiError(
            400,
            "You can only specify `subscription_data` in `subscription` mode.",
            param="subscription_data",
        )
    pi_data = as_dict(params, "payment_intent_data")
    if pi_data and mode != "payment":
        raise ApiError(
            400,
            "You can only specify `payment_intent_data` in `payment` mode.",
            param="payment_intent_data",
        )
    for prefix, data in (("subscription_data", sub_data), ("payment_intent_data", pi_data)):
        destination = as_dict(data, "transfer_data").get("destination")
        if destination:
            store.ref("account", destination, ctx, f"{prefix}[transfer_data][destination]")
        if data.get("on_behalf_of"):
            store.ref("account", data["on_behalf_of"], ctx, f"{prefix}[on_behalf_of]")
    if sub_data:
        try:
            fee = as_float(sub_data, "application_fee_percent")
        except ParamError as exc:
            raise ApiError(
                400, exc.message, param="subscription_data[application_fee_percent]"
            ) from None
        if fee is not None and not 0 <= fee <= 100:
            raise ApiError(
                400,
                "application_fee_percent must be between 0 and 100.",
                param="subscription_data[application_fee_percent]",
            )
        sub_data = {**sub_data, "metadata": metadata(sub_data)}
    if pi_data:
        try:
            as_int(pi_data, "application_fee_amount", minimum=0)
        except ParamError as exc:
            raise ApiError(
                400, exc.message, param="payment_intent_data[application_fee_amount]"
            ) from None
    now = store.now()
    session_id = new_id("cs_test")
    line_items = [
        {
            "id": new_id("li"),
            "object": "item",
            "adjustable_quantity": None,
            "amount_discount": 0,
            "amount_subtotal": item["price"]["unit_amount"] * item["quantity"],
            "amount_tax": 0,
            "amount_total": item["price"]["unit_amount"] * item["quantity"],
            "currency": item["price"]["currency"],
            "description": store.objects.get(item["price"]["product"], {}).get("name"),
            "metadata": {},
            "price": copy.deepcopy(item["price"]),
            "quantity": item["quantity"],
        }
        for item in items
    ]
    total = sum(line["amount_total"] for line in line_items)
    session = store.base(
        "checkout.session",
        ctx.account,
        id=session_id,
        after_expiration=None,
        allow_promotion_codes=None,
        amount_subtotal=total,
        amount_total=total,
        automatic_tax={"enabled": False, "liability": None, "provider": None, "status": None},
        billing_address_collection=None,
        cancel_url=params.get("cancel_url") or None,
        client_reference_id=params.get("client_reference_id") or None,
        client_secret=None,
        consent=None,
        consent_collection=None,
        currency=line_items[0]["currency"],
        custom_fields=[],
        custom_text={
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        customer=customer_id,
        customer_creation=None
        if mode == "subscription"
        else (params.get("customer_creation") or "if_required"),
        customer_details=None,
        customer_email=params.get("customer_email") or None,
        expires_at=now + 86_400,
        invoice=None,
        invoice_creation=None,
        line_items=store.list_object(f"/v1/checkout/sessions/{session_id}/line_items", line_items),
        locale=params.get("locale") or None,
        metadata=metadata(params),
        mode=mode,
        payment_intent=None,
        payment_link=None,
        payment_method_collection="always" if mode == "subscription" else None,
        payment_method_types=["card"],
        payment_status="unpaid",
        phone_number_collection={"enabled": False},
        recovered_from=None,
        saved_payment_method_options=None,
        setup_intent=None,
        shipping_address_collection=None,
        shipping_cost=None,
        shipping_options=[],
        status="open",
        submit_type=None,
        subscription=None,
        success_url=params.get("success_url") or None,
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        ui_mode="hosted",
        url=f"{store.base_url}/pay/{session_id}",
    )
    store.extra[session_id] = {"subscription_data": sub_data, "payment_intent_data": pi_data}
    return show(store, session, params)


@route("GET", "/v1/checkout/sessions")
def list_checkout_sessions(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(
        store,
        ctx,
        params,
        "checkout.session",
        "/v1/checkout/sessions",
        {
            "customer": field_is("customer"),
            "subscription": field_is("subscription"),
            "payment_intent": field_is("payment_intent"),
            "status": field_is("status"),
        },
    )


@route("GET", "/v1/checkout/sessions/{id}")
def get_checkout_session(store: Store, ctx: Context, params: JSON, session_id: str) -> JSON:
    return show(store, store.get("checkout.session", session_id, ctx), params)


@route("GET", "/v1/checkout/sessions/{id}/line_items")
def list_checkout_line_items(store: Store, ctx: Context, params: JSON, session_id: str) -> JSON:
    session = store.get("checkout.session", session_id, ctx)
    items = list(reversed(session["line_items"]["data"]))  # page() wants oldest first
    return store.page(f"/v1/checkout/sessions/{session_id}/line_items", items, params)


@route("POST", "/v1/billing_portal/sessions")
def create_portal_session(store: Store, ctx: Context, params: JSON) -> JSON:
    customer_id = required(params, "customer")
    store.ref("customer", customer_id, ctx, "customer")
    portal = store.base(
        "billing_portal.session",
        ctx.account,
        configuration=params.get("configuration") or "bpc_fakestripe_default",
        customer=customer_id,
        flow=None,
        locale=params.get("locale") or None,
        on_behalf_of=params.get("on_behalf_of") or None,
        return_url=params.get("return_url") or None,
    )
    portal["url"] = f"{store.base_url}/portal/{portal['id']}"
    store.emit("billing_portal.session.created", portal, ctx)
    return show(store, portal, params)


# -- subscriptions, invoices, payments ------------------------------------------------------------


@route("GET", "/v1/subscriptions")
def list_subscriptions(store: Store, ctx: Context, params: JSON) -> JSON:
    status = params.get("status") or None
    filters: dict[str, Callable[[JSON, Any], bool]] = {
        "customer": field_is("customer"),
        "price": lambda obj, value: any(i["price"]["id"] == value for i in obj["items"]["data"]),
    }
    if status is None:
        params = {**params, "status": "_default"}
        filters["status"] = lambda obj, _: obj["status"] not in ("canceled", "incomplete_expired")
    elif status == "ended":
        filters["status"] = lambda obj, _: obj["status"] in ("canceled", "incomplete_expired")
    elif status != "all":
        filters["status"] = field_is("status")
    return listing(store, ctx, params, "subscription", "/v1/subscriptions", filters)


@route("GET", "/v1/subscriptions/{id}")
def get_subscription(store: Store, ctx: Context, params: JSON, sub_id: str) -> JSON:
    return show(store, store.get("subscription", sub_id, ctx), params)


@route("POST", "/v1/subscriptions/{id}")
def update_subscription(store: Store, ctx: Context, params: JSON, sub_id: str) -> JSON:
    sub = store.get("subscription", sub_id, ctx)
    before = copy.deepcopy(sub)
    cancel_at_period_end = as_bool(params, "cancel_at_period_end")
    if sub["status"] in ("canceled", "incomplete_expired") and cancel_at_period_end is not None:
        raise ApiError(
            400,
            "A canceled subscription can only update its cancellation_details and metadata.",
            param="cancel_at_period_end",
        )
    if cancel_at_period_end is True and not sub["cancel_at_period_end"]:
        sub.update(
            cancel_at_period_end=True, cancel_at=sub["current_period_end"], canceled_at=store.now()
        )
        sub["cancellation_details"]["reason"] = "cancellation_requested"
    elif cancel_at_period_end is False and sub["cancel_at_period_end"]:
        sub.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None)
        sub["cancellation_details"]["reason"] = None
    details = as_dict(params, "cancellation_details")
    for field in ("comment", "feedback"):
        if field in details:
            sub["cancellation_details"][field] = details[field] or None
    if "description" in params:
        sub["description"] = params["description"] or None
    sub["metadata"] = metadata(params, current=sub["metadata"])
    previous = diff(before, sub)
    if previous:
        store.emit("customer.subscription.updated", sub, ctx, previous=previous)
    return show(store, sub, params)


def cancel_now(store: Store, ctx: Context, sub: JSON, reason: str) -> str:
    """End ``sub`` now (status ``canceled``); returns the ``customer.subscription.deleted`` id."""
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise ApiError(400, f"The subscription {sub['id']} is already canceled.", param="id")
    now = store.now()
    sub.update(
        status="canceled", ended_at=now, canceled_at=sub["canceled_at"] or now, cancel_at=None
    )
    sub["cancellation_details"]["reason"] = sub["cancellation_details"]["reason"] or reason
    return store.emit("customer.subscription.deleted", sub, ctx)["id"]


@route("DELETE", "/v1/subscriptions/{id}")
def delete_subscription(store: Store, ctx: Context, params: JSON, sub_id: str) -> JSON:
    sub = store.get("subscription", sub_id, ctx)
    details = as_dict(params, "cancellation_details")
    for field in ("comment", "feedback"):
        if field in details:
            sub["cancellation_details"][field] = details[field] or None
    cancel_now(store, ctx, sub, "cancellation_requested")
    return show(store, sub, params)


@route("GET", "/v1/invoices")
def list_invoices(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(
        store,
        ctx,
        params,
        "invoice",
        "/v1/invoices",
        {
            "customer": field_is("customer"),
            "status": field_is("status"),
            "subscription": lambda obj, value: (
                obj["parent"]["subscription_details"]["subscription"] == value
            ),
        },
    )


@route("GET", "/v1/invoices/{id}")
def get_invoice(store: Store, ctx: Context, params: JSON, invoice_id: str) -> JSON:
    return show(store, store.get("invoice", invoice_id, ctx), params)


@route("GET", "/v1/invoices/{id}/lines")
def list_invoice_lines(store: Store, ctx: Context, params: JSON, invoice_id: str) -> JSON:
    inv = store.get("invoice", invoice_id, ctx)
    items = list(reversed(inv["lines"]["data"]))  # page() wants oldest first
    return store.page(f"/v1/invoices/{invoice_id}/lines", items, params, expand_of(params))


def _subscription_items(store: Store, ctx: Context) -> list[JSON]:
    return [
        item
        for sub in store.all("subscription")
        if store.visible(sub["id"], ctx)
        for item in sub["items"]["data"]
    ]


@route("GET", "/v1/subscription_items")
def list_subscription_items(store: Store, ctx: Context, params: JSON) -> JSON:
    sub = store.ref("subscription", required(params, "subscription"), ctx, "subscription")
    return store.page(
        "/v1/subscription_items", list(sub["items"]["data"]), params, expand_of(params)
    )


@route("GET", "/v1/subscription_items/{id}")
def get_subscription_item(store: Store, ctx: Context, params: JSON, item_id: str) -> JSON:
    item = next((i for i in _subscription_items(store, ctx) if i["id"] == item_id), None)
    if item is None:
        raise ApiError(
            404, f"No such subscription_item: '{item_id}'", param="id", code="resource_missing"
        )
    return store.render(item, expand_of(params))


@route("GET", "/v1/customers/{id}/tax_ids")
def list_customer_tax_ids(store: Store, ctx: Context, params: JSON, customer_id: str) -> JSON:
    """A customer's tax ids: the fake has no taxes, so none."""
    store.get("customer", customer_id, ctx)
    return store.page(f"/v1/customers/{customer_id}/tax_ids", [], params)


@route("GET", "/v1/tax_ids")
def list_tax_ids(store: Store, ctx: Context, params: JSON) -> JSON:
    """Tax ids: the fake has no taxes, so none."""
    return store.page("/v1/tax_ids", [], params)


@route("GET", "/v1/invoice_payments")
def list_invoice_payments(store: Store, ctx: Context, params: JSON) -> JSON:
    payment = as_dict(params, "payment")
    filters: dict[str, Callable[[JSON, Any], bool]] = {
        "invoice": field_is("invoice"),
        "status": field_is("status"),
    }
    if payment.get("payment_intent"):
        filters["payment"] = lambda obj, _: (
            obj["payment"]["payment_intent"] == payment["payment_intent"]
        )
    return listing(store, ctx, params, "invoice_payment", "/v1/invoice_payments", filters)


@route("GET", "/v1/invoice_payments/{id}")
def get_invoice_payment(store: Store, ctx: Context, params: JSON, payment_id: str) -> JSON:
    return show(store, store.get("invoice_payment", payment_id, ctx), params)


@route("GET", "/v1/payment_intents")
def list_payment_intents(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(
        store,
        ctx,
        params,
        "payment_intent",
        "/v1/payment_intents",
        {"customer": field_is("customer")},
    )


@route("GET", "/v1/payment_intents/{id}")
def get_payment_intent(store: Store, ctx: Context, params: JSON, pi_id: str) -> JSON:
    return show(store, store.get("payment_intent", pi_id, ctx), params)


@route("GET", "/v1/charges")
def list_charges(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(
        store,
        ctx,
        params,
        "charge",
        "/v1/charges",
        {"customer": field_is("customer"), "payment_intent": field_is("payment_intent")},
    )


@route("GET", "/v1/charges/{id}")
def get_charge(store: Store, ctx: Context, params: JSON, charge_id: str) -> JSON:
    return show(store, store.get("charge", charge_id, ctx), params)


@route("GET", "/v1/charges/{id}/refunds")
def list_charge_refunds(store: Store, ctx: Context, params: JSON, charge_id: str) -> JSON:
    store.get("charge", charge_id, ctx)
    items = [r for r in store.all("refund") if r["charge"] == charge_id]
    return store.page(f"/v1/charges/{charge_id}/refunds", items, params, expand_of(params))


@route("GET", "/v1/application_fees")
def list_application_fees(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(
        store,
        ctx,
        params,
        "application_fee",
        "/v1/application_fees",
        {"charge": field_is("charge")},
    )


@route("GET", "/v1/application_fees/{id}")
def get_application_fee(store: Store, ctx: Context, params: JSON, fee_id: str) -> JSON:
    return show(store, store.get("application_fee", fee_id, ctx), params)


@route("GET", "/v1/application_fees/{id}/refunds")
def list_application_fee_refunds(store: Store, ctx: Context, params: JSON, fee_id: str) -> JSON:
    """Refunds of an application fee: the fake makes none."""
    store.get("application_fee", fee_id, ctx)
    return store.page(f"/v1/application_fees/{fee_id}/refunds", [], params)


@route("GET", "/v1/balance_transactions/{id}")
def get_balance_transaction(store: Store, ctx: Context, params: JSON, txn_id: str) -> JSON:
    """A balance transaction, derived from the object that moved the money (a charge, a
    refund, a transfer or its reversal, a payout or its failure, a dispute's withdrawal)."""
    found = billing.balance_transaction(store, txn_id)
    if found is None or not store.visible(found["source"], ctx):
        raise ApiError(
            404, f"No such balance transaction: '{txn_id}'", param="id", code="resource_missing"
        )
    return show(store, found, params)


@route("GET", "/v1/balance_transactions")
def list_balance_transactions(store: Store, ctx: Context, params: JSON) -> JSON:
    items = [
        txn
        for txn in billing.balance_transactions(store)
        if store.visible(txn["source"], ctx)
        and all(not params.get(name) or txn[name] == params[name] for name in ("source", "type"))
        and created_filter(params, txn["created"])
    ]
    return store.page("/v1/balance_transactions", items, params, expand_of(params))


@route("GET", "/v1/products/{id}/features")
def list_product_features(store: Store, ctx: Context, params: JSON, product_id: str) -> JSON:
    """Entitlement features attached to a product: the fake attaches none."""
    store.get("product", product_id, ctx)
    return store.list_object(f"/v1/products/{product_id}/features", [])


@route("POST", "/v1/refunds")
def create_refund(store: Store, ctx: Context, params: JSON) -> JSON:
    if params.get("charge"):
        charge = store.ref("charge", params["charge"], ctx, "charge")
    elif params.get("payment_intent"):
        pi = store.ref("payment_intent", params["payment_intent"], ctx, "payment_intent")
        if not pi.get("latest_charge"):
            raise ApiError(
                400,
                f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        charge = store.objects[pi["latest_charge"]]
    else:
        raise ApiError(
            400,
            "One of the following params should be provided for this request: charge or payment_intent.",
            param="charge",
        )
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise ApiError(
            400,
            f"Charge {charge['id']} has already been refunded.",
            param="charge",
            code="charge_already_refunded",
        )
    amount = as_int(params, "amount", minimum=1)
    amount = remaining if amount is None else amount
    if amount > remaining:
        raise ApiError(
            400,
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
            param="amount",
            code="amount_too_large",
        )
    refund = store.base(
        "refund",
        store.owner.get(charge["id"]),
        amount=amount,
        balance_transaction=new_id("txn"),
        charge=charge["id"],
        currency=charge["currency"],
        destination_details={
            "type": "card",
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
        },
        metadata=metadata(params),
        payment_intent=charge["payment_intent"],
        reason=params.get("reason") or None,
        receipt_number=None,
        source_transfer_reversal=None,
        status="succeeded",
        transfer_reversal=None,
    )
    before = copy.deepcopy(charge)
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    charge["refunds"]["data"].insert(0, copy.deepcopy(refund))
    charge["refunds"]["total_count"] = len(charge["refunds"]["data"])
    store.emit("charge.refunded", charge, ctx, previous=diff(before, charge))
    store.emit("refund.created", refund, ctx)
    return show(store, refund, params)


@route("GET", "/v1/refunds")
def list_refunds(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(
        store,
        ctx,
        params,
        "refund",
        "/v1/refunds",
        {"charge": field_is("charge"), "payment_intent": field_is("payment_intent")},
    )


@route("GET", "/v1/refunds/{id}")
def get_refund(store: Store, ctx: Context, params: JSON, refund_id: str) -> JSON:
    return show(store, store.get("refund", refund_id, ctx), params)


@route("GET", "/v1/disputes")
def list_disputes(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(
        store,
        ctx,
        params,
        "dispute",
        "/v1/disputes",
        {"charge": field_is("charge"), "payment_intent": field_is("payment_intent")},
    )


@route("GET", "/v1/disputes/{id}")
def get_dispute(store: Store, ctx: Context, params: JSON, dispute_id: str) -> JSON:
    return show(store, store.get("dispute", dispute_id, ctx), params)


# -- Connect: accounts, links, transfers, payouts ---------------------------------------------------

ACCOUNT_REQUIREMENTS = [
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "representative.first_name",
    "representative.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
CURRENCIES = {
    "US": "usd",
    "GB": "gbp",
    "CA": "cad",
    "AU": "aud",
    "JP": "jpy",
    "CH": "chf",
    "SE": "sek",
}


def requirements(due: list[str]) -> JSON:
    """An account's ``requirements`` with ``due`` currently due, eventually due and past due."""
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": "requirements.past_due" if due else None,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


@route("POST", "/v1/accounts")
def create_account(store: Store, ctx: Context, params: JSON) -> JSON:
    if ctx.account:
        raise ApiError(400, "Connected accounts cannot create other accounts.", param="type")
    kind = params.get("type") or "express"
    if kind not in ("express", "standard", "custom"):
        raise ApiError(
            400, "Invalid type: must be one of express, standard, or custom", param="type"
        )
    country = str(params.get("country") or "US").upper()
    capabilities = {
        name: "inactive"
        for name, value in as_dict(params, "capabilities").items()
        if isinstance(value, dict) and as_bool(value, "requested")
    }
    account = store.base(
        "account",
        None,
        business_profile={
            "mcc": None,
            "name": None,
            "product_description": None,
            "support_email": None,
            "support_phone": None,
            "support_url": None,
            "url": None,
        },
        business_type=params.get("business_type") or None,
        capabilities=capabilities,
        charges_enabled=False,
        controller={
            "fees": {"payer": "application"},
            "is_controller": True,
            "losses": {"payments": "application"},
            "requirement_collection": "stripe" if kind != "custom" else "application",
            "stripe_dashboard": {"type": kind if kind != "standard" else "full"},
            "type": "application",
        },
        country=country,
        default_currency=CURRENCIES.get(country, "eur"),
        details_submitted=False,
        email=params.get("email") or None,
        external_accounts={
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": "",
        },
        futurerequirements=requirements([]),
        metadata=metadata(params),
        payouts_enabled=False,
        requirements=requirements(ACCOUNT_REQUIREMENTS),
        settings={
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            }
        },
        tos_acceptance={"date": None, "ip": None, "user_agent": None},
        type=kind,
    )
    account["external_accounts"]["url"] = f"/v1/accounts/{account['id']}/external_accounts"
    return show(store, account, params)


@route("GET", "/v1/accounts")
def list_accounts(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(store, ctx, params, "account", "/v1/accounts")


@route("GET", "/v1/accounts/{id}")
def get_account(store: Store, ctx: Context, params: JSON, account_id: str) -> JSON:
    return show(store, store.get("account", account_id, ctx), params)


@route("GET", "/v1/account")
def get_own_account(store: Store, ctx: Context, params: JSON) -> JSON:
    if ctx.account:
        return show(store, store.get("account", ctx.account, ctx), params)
    return {
        "id": PLATFORM_ACCOUNT_ID,
        "object": "account",
        "business_profile": {"name": "Fake Stripe platform", "url": None},
        "charges_enabled": True,
        "country": "US",
        "created": 0,
        "default_currency": "usd",
        "details_submitted": True,
        "email": None,
        "livemode": False,
        "metadata": {},
        "payouts_enabled": True,
        "settings": {"dashboard": {"display_name": "Fake Stripe", "timezone": "Etc/UTC"}},
        "type": "standard",
    }


@route("POST", "/v1/account_links")
def create_account_link(store: Store, ctx: Context, params: JSON) -> JSON:
    account_id = required(params, "account")
    link_type = required(params, "type")
    if link_type not in ("account_onboarding", "account_update"):
        raise ApiError(
            400, "Invalid type: must be one of account_onboarding or account_update", param="type"
        )
    store.ref("account", account_id, ctx, "account")
    now = store.now()
    store.extra[account_id] = {
        "refresh_url": params.get("refresh_url"),
        "return_url": params.get("return_url"),
    }
    return {
        "object": "account_link",
        "created": now,
        "expires_at": now + 300,
        "url": f"{store.base_url}/onboard/{account_id}",
    }


@route("POST", "/v1/transfers")
def create_transfer(store: Store, ctx: Context, params: JSON) -> JSON:
    amount = as_int(params, "amount", minimum=1)
    if amount is None:
        raise missing_param("amount")
    currency = str(required(params, "currency")).lower()
    destination = store.ref("account", required(params, "destination"), ctx, "destination")
    if not destination["payouts_enabled"]:
        raise ApiError(
            400,
            "Your destination account needs to have at least one of the following capabilities "
            "enabled: transfers, crypto_transfers, legacy_payments",
            param="destination",
            code="insufficient_capabilities_for_transfer",
        )
    transfer = store.base(
        "transfer",
        ctx.account,
        amount=amount,
        amount_reversed=0,
        balance_transaction=new_id("txn"),
        currency=currency,
        description=params.get("description") or None,
        destination=destination["id"],
        destination_payment=new_id("py"),
        metadata=metadata(params),
        reversals={},
        reversed=False,
        source_transaction=params.get("source_transaction") or None,
        source_type=params.get("source_type") or "card",
        transfer_group=params.get("transfer_group") or None,
    )
    transfer["reversals"] = store.list_object(f"/v1/transfers/{transfer['id']}/reversals", [])
    store.emit("transfer.created", transfer, ctx)
    return show(store, transfer, params)


@route("GET", "/v1/transfers")
def list_transfers(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(
        store,
        ctx,
        params,
        "transfer",
        "/v1/transfers",
        {"destination": field_is("destination"), "transfer_group": field_is("transfer_group")},
    )


@route("GET", "/v1/transfers/{id}")
def get_transfer(store: Store, ctx: Context, params: JSON, transfer_id: str) -> JSON:
    return show(store, store.get("transfer", transfer_id, ctx), params)


@route("POST", "/v1/transfers/{id}/reversals")
def create_transfer_reversal(store: Store, ctx: Context, params: JSON, transfer_id: str) -> JSON:
    transfer = store.get("transfer", transfer_id, ctx)
    remaining = transfer["amount"] - transfer["amount_reversed"]
    amount = as_int(params, "amount", minimum=1)
    amount = remaining if amount is None else amount
    if remaining <= 0 or amount > remaining:
        raise ApiError(
            400, f"Transfer {transfer_id} has only {remaining} left to reverse.", param="amount"
        )
    reversal = store.base(
        "transfer_reversal",
        store.owner.get(transfer_id),
        amount=amount,
        balance_transaction=new_id("txn"),
        currency=transfer["currency"],
        destination_payment_refund=new_id("pyr"),
        metadata=metadata(params),
        source_refund=None,
        transfer=transfer_id,
    )
    before = copy.deepcopy(transfer)
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
    transfer["reversals"]["data"].insert(0, copy.deepcopy(reversal))
    transfer["reversals"]["total_count"] = len(transfer["reversals"]["data"])
    store.emit("transfer.reversed", transfer, ctx, previous=diff(before, transfer))
    return show(store, reversal, params)


@route("GET", "/v1/payouts")
def list_payouts(store: Store, ctx: Context, params: JSON) -> JSON:
    return listing(store, ctx, params, "payout", "/v1/payouts", {"status": field_is("status")})


@route("GET", "/v1/payouts/{id}")
def get_payout(store: Store, ctx: Context, params: JSON, payout_id: str) -> JSON:
    return show(store, store.get("payout", payout_id, ctx), params)


# -- events ---------------------------------------------------------------------------------------


@route("GET", "/v1/events")
def list_events(store: Store, ctx: Context, params: JSON) -> JSON:
    types = {str(t) for t in as_list(params, "types")}
    filters: dict[str, Callable[[JSON, Any], bool]] = {
        "type": lambda obj, value: fnmatch.fnmatchcase(obj["type"], str(value)),
    }
    if types:
        params = {**params, "types": "x"}
        filters["types"] = lambda obj, _: obj["type"] in types
    return listing(store, ctx, params, "event", "/v1/events", filters)


@route("GET", "/v1/events/{id}")
def get_event(store: Store, ctx: Context, params: JSON, event_id: str) -> JSON:
    return show(store, store.get("event", event_id, ctx), params)
