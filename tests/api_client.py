"""The API tests' client: every JSON answer is checked against ``/api/schema/``.

Clients are written from the schema drf-spectacular serves, so an answer that does
not match it (a missing required field, a wrong type, an undocumented status) is a
bug in the schema or in the view, whichever test happened to produce it. Each API
test's client is :class:`APIClient` from this module, a drop-in for DRF's::

    from tests.api_client import APIClient

The schema is generated once per test session, as ``/api/schema/`` serves it. The
check is skipped only for what the schema cannot describe: answers that are not
JSON, paths the schema does not document (the OAuth endpoints, health checks, the
admin), and a test that turns it off on purpose with ``client.check_schema = False``
(a test of a view that only exists in a test URLconf).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30ReadValidator
from rest_framework import test

METHODS = ("get", "put", "post", "delete", "patch", "options", "head")


PROJECT_URLCONF = "config.urls"


class SchemaMismatch(AssertionError):
    """An answer the schema does not describe."""


@cache
def _schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    # The project's own URLs, whichever test's urlconf is active when this first runs: test-only
    # routes are not part of the API and would otherwise be checked against guessed statuses.
    generator = SchemaGenerator(urlconf=PROJECT_URLCONF)
    document = OpenApiJsonRenderer().render(generator.get_schema(public=True))
    return _nullable_refs(json.loads(document))


def _nullable_refs(node: Any) -> Any:
    """OpenAPI 3.0's nullable reference, ``{"allOf": [{"$ref": ...}], "nullable": true}``,
    as the JSON schema it means: the referenced object, or null.

    drf-spectacular writes a nullable nested serializer so; the validator would check
    null against the referenced (non-nullable) schema and refuse it.
    """
    if isinstance(node, list):
        return [_nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_refs(value) for key, value in node.items()}
    if node.get("nullable") and "allOf" in node:
        return {"anyOf": [{"allOf": node["allOf"]}, {"enum": [None], "nullable": True}]}
    return node


@cache
def _routes() -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    """Each documented path as a pattern, literal paths first (they win over templates)."""
    routes = []
    for template, item in _schema()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        routes.append((template.count("{"), re.compile(f"^{pattern}$"), item))
    routes.sort(key=lambda route: route[0])
    return [(pattern, item) for _params, pattern, item in routes]


def _response_schema(method: str, path: str, status: int) -> dict[str, Any] | None:
    """The JSON schema for this answer; None when the path is not in the schema at all."""
    item = next((item for pattern, item in _routes() if pattern.match(path)), None)
    if item is None:
        return None
    operation = item.get(method)
    if operation is None and status == 405:
        return None  # a method the path refuses: Django's answer, nothing to document
    if operation is None:
        raise SchemaMismatch(f"{method.upper()} {path}: the schema has no such operation")
    responses = operation.get("responses", {})
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    response = response or responses.get("default")
    if response is None:
        raise SchemaMismatch(
            f"{method.upper()} {path} answered {status}, which the schema does not document "
            f"(documented: {', '.join(sorted(responses))})"
        )
    content = response.get("content", {})
    for media_type, body in content.items():
        if "json" in media_type:
            return body.get("schema", {})
    return {}


def check_response(method: str, path: str, response) -> None:
    """Fail unless ``response`` is what the schema says ``method path`` answers."""
    if method in ("head", "options") or not response.get("Content-Type", "").startswith(
        "application/json"
    ):
        return
    schema = _response_schema(method, path, response.status_code)
    if schema is None or not response.content:
        return
    body = json.loads(response.content)
    # The document's components beside the answer's schema, so "#/components/..." resolves.
    validator = OAS30ReadValidator({**schema, "components": _schema()["components"]})
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.absolute_path))
    if errors:
        # For oneOf/anyOf, the reason is in the alternative that came closest.
        errors = [best_match([error]) for error in errors[:10]]
        lines = [
            f"  at {'/'.join(str(part) for part in error.absolute_path) or '(root)'}: "
            f"{error.message[:300]}"
            for error in errors
        ]
        raise SchemaMismatch(
            f"{method.upper()} {path} answered {response.status_code} with a body the schema "
            "does not describe:\n" + "\n".join(lines)
        )


class APIClient(test.APIClient):
    """DRF's test client, checking every JSON answer against ``/api/schema/``."""

    check_schema = True

    def generic(self, method, path, *args, **kwargs):
        response = super().generic(method, path, *args, **kwargs)
        if self.check_schema:
            check_response(method.lower(), urlsplit(str(path)).path, response)
        return response
