"""Stripe's form encoding: ``a[b][0][c]=v`` pairs into nested dicts and lists, and back.

Stripe's API takes ``application/x-www-form-urlencoded`` bodies (and query strings) where
brackets nest: ``metadata[plan]=pro`` is ``{"metadata": {"plan": "pro"}}``,
``line_items[0][price]=price_1`` is ``{"line_items": [{"price": "price_1"}]}`` and
``expand[]=a&expand[]=b`` is ``{"expand": ["a", "b"]}``. Values stay strings; the
``as_*`` helpers coerce them and raise :class:`ParamError` naming the parameter.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_SUBKEY = re.compile(r"\[([^\[\]]*)\]")


class ParamError(ValueError):
    """A parameter has a value of the wrong type; ``param`` names it as Stripe does."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def split_key(key: str) -> list[str]:
    """``"a[b][0]"`` -> ``["a", "b", "0"]``; ``"a[]"`` -> ``["a", ""]``; no brackets -> ``[key]``."""
    start = key.find("[")
    if start <= 0:
        return [key]
    head, rest = key[:start], key[start:]
    parts = _SUBKEY.findall(rest)
    if "".join(f"[{p}]" for p in parts) != rest:  # malformed: keep the key whole
        return [key]
    return [head, *parts]


def _insert(node: dict[str, Any], parts: list[str], value: str) -> None:
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if part == "":  # "[]": the next index of this array
            part = str(len(node))
        if last:
            node[part] = value
            return
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _listify(item) for key, item in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def parse_form(text: str) -> dict[str, Any]:
    """Parse a form-encoded body or query string into nested dicts and lists of strings."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        _insert(root, split_key(key), value)
    result = _listify(root)
    return result if isinstance(result, dict) else {}


def _flatten(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in _flatten(f"{prefix}[{key}]", item)]
    if isinstance(value, list | tuple):
        return [pair for i, item in enumerate(value) for pair in _flatten(f"{prefix}[{i}]", item)]
    if isinstance(value, bool):
        return [(prefix, "true" if value else "false")]
    return [] if value is None else [(prefix, str(value))]


def encode_form(params: dict[str, Any]) -> list[tuple[str, str]]:
    """The reverse of :func:`parse_form`: ``(key, value)`` pairs for ``urlencode``."""
    return [pair for key, value in params.items() for pair in _flatten(key, value)]


def as_int(params: dict[str, Any], name: str, *, minimum: int | None = None) -> int | None:
    """``params[name]`` as an int (``None`` when absent); raises ParamError when invalid."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ParamError(name, f"Invalid integer: {raw}")
    try:
        value = int(raw)
    except ValueError:
        raise ParamError(name, f"Invalid integer: {raw}") from None
    if minimum is not None and value < minimum:
        raise ParamError(name, f"This value must be greater than or equal to {minimum}.")
    return value


def as_float(params: dict[str, Any], name: str) -> float | None:
    """``params[name]`` as a float (``None`` when absent); raises ParamError when invalid."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise ParamError(name, f"Invalid decimal: {raw}") from None


def as_bool(params: dict[str, Any], name: str) -> bool | None:
    """``params[name]`` as a bool from ``true``/``false`` (``None`` when absent)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    if str(raw).lower() in ("true", "1"):
        return True
    if str(raw).lower() in ("false", "0"):
        return False
    raise ParamError(name, f"Invalid boolean: {raw}")


def as_list(params: dict[str, Any], name: str) -> list[Any]:
    """``params[name]`` as a list: absent -> ``[]``, one value -> ``[value]``."""
    raw = params.get(name)
    if raw is None or raw == "":
        return []
    if isinstance(raw, dict):  # sparse indices such as ``a[1]=x`` alone
        return list(raw.values())
    return raw if isinstance(raw, list) else [raw]


def as_dict(params: dict[str, Any], name: str) -> dict[str, Any]:
    """``params[name]`` as a dict (``{}`` when absent or empty)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict):
        raise ParamError(name, f"Invalid object: {name} must be a hash.")
    return raw
