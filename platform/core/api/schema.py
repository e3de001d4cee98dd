"""OpenAPI (drf-spectacular) descriptions of the kernel's API building blocks."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """OAuth 2 bearer tokens (:class:`core.authentication.BearerTokenAuthentication`)."""

    target_class = "core.authentication.BearerTokenAuthentication"
    name = "OAuth2"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


# The error answers every operation can give, whatever its view: the platform's own
# (core.api.parsers, core.exceptions, core.throttling, core.authentication) rather than
# any one view's. ``None``: every operation; otherwise only operations that ``applies``.
ERROR_SCHEMA = {
    "type": "object",
    "description": "Mastodon's error entity.",
    "properties": {
        "error": {"type": "string", "description": "What went wrong, for a person to read."},
        "error_description": {"type": "string"},
        "details": {"type": "object", "description": "Per field (validation failures)."},
    },
    "required": ["error"],
}
_HAS_BODY = frozenset({"post", "put", "patch"})


def _has_body(path: str, method: str, operation: dict) -> bool:
    return method in _HAS_BODY


def _names_a_record(path: str, method: str, operation: dict) -> bool:
    """An id in the path, or a body that names one (``in_reply_to_id``, ``media_ids``, a
    report's ``account_id``). A view that looks one up by a query parameter (``acct``)
    documents its 404 itself."""
    return "{" in path or method in _HAS_BODY


def _has_query(operation: dict) -> bool:
    return any(parameter.get("in") == "query" for parameter in operation.get("parameters", []))


def _can_refuse_input(path: str, method: str, operation: dict) -> bool:
    """A body or query parameters to validate, or an account required (Mastodon answers an
    app token on an account's endpoint with 422, its ``require_user!``)."""
    return method in _HAS_BODY or _has_query(operation) or bool(operation.get("security"))


PLATFORM_ERRORS: list[tuple[str, str, object]] = [
    ("400", "Malformed request: JSON nested too deep, a NUL character, too many fields.", None),
    ("401", "The access token is invalid.", None),
    ("403", "Outside the token's scopes, or the login is disabled or suspended.", None),
    ("404", "Record not found.", _names_a_record),
    ("413", "The request body is too large.", _has_body),
    ("422", "Validation failed; details name the fields.", _can_refuse_input),
    ("429", "Rate limited; Retry-After says when to try again.", None),
    ("503", "A service it needs is unavailable; Retry-After says when to retry.", None),
]


def error_response(description: str) -> OpenApiResponse:
    """A view's own error answer (409, 410, 416...) in the shared ``Error`` entity::

    @extend_schema(responses={200: UploadSerializer, 416: error_response("Bad range.")})
    """
    return OpenApiResponse(response={"$ref": "#/components/schemas/Error"}, description=description)


def document_platform_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: each API operation lists the errors it can answer.

    The schema then documents the status codes the API really answers (the schema
    fuzzer, tests/security/test_schema_fuzz.py, sends requests from it); codes a view
    documents itself are left as they are.
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description, applies in PLATFORM_ERRORS:
                if code in responses or (
                    applies is not None and not applies(path, method, operation)
                ):
                    continue
                responses[code] = {
                    "description": description,
                    "content": {"application/json": {"schema": reference}},
                }
    return result
