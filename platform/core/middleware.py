"""Request-scoped middleware."""

from __future__ import annotations

import re
import uuid

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import JsonResponse, QueryDict
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from core.api.parsers import NUL, nul_message
from core.exceptions import (
    ServiceUnavailable,
    error_response,
    is_api_path,
    not_found_response,
    platform_error,
    server_error_response,
)
from core.logging import request_id_var

REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id(incoming: str) -> str:
    """The id of a request that came with ``incoming`` as its ``X-Request-Id``: that one if
    it looks safe (letters, digits, ``._-``, at most 64), else a new one."""
    return incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives every request an id (the caller's ``X-Request-Id`` if it looks safe).

    The id is echoed in the response header and put on every log line written
    while the request is handled.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id(request.headers.get(REQUEST_ID_HEADER, ""))
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class ApiErrorMiddleware:
    """API paths answer errors in Mastodon's JSON shape, with ``DEBUG`` on or off.

    An outage a view runs into (the database, its pool, Redis, the broker) is 503
    with ``Retry-After`` on any path, and Django's upload limits 413 or 400 on API
    paths: DRF's exception handler maps what DRF's views raise, this the rest (plain
    Django views such as ``/oauth/token``). Django's own HTML pages on API paths (its
    404 and 500 pages, and ``DEBUG``'s technical pages, which handler404 and handler500
    never see) become the JSON error; the traceback stays in the log. Comes early in
    ``MIDDLEWARE`` so it sees what the middleware inside it answers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (400, 404, 500) and is_api_path(request.path):
            content_type = response.get("Content-Type", "")
            if content_type.startswith(("text/html", "text/plain")):
                return self._json_for(response.status_code)
        return response

    def process_exception(self, request, exception):
        error = platform_error(exception)
        if error is None or not (
            isinstance(error, ServiceUnavailable) or is_api_path(request.path)
        ):
            return None
        return error_response(error)

    @staticmethod
    def _json_for(status_code: int) -> JsonResponse:
        if status_code == 404:
            return not_found_response()
        if status_code == 500:
            return server_error_response()
        return JsonResponse({"error": _("Bad request")}, status=400)


class RejectNulBytesMiddleware:
    """Refuses a NUL character in the path, the query string or a URL-encoded body: 400.

    PostgreSQL's text cannot hold a NUL, so one reaching a query is a 500 from the
    database; no Mastodon parameter needs one. Checked here once rather than in each
    view. JSON and multipart bodies are checked where DRF parses them
    (:mod:`core.api.parsers`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            where = self.nul_in(request)
        except (RequestDataTooBig, TooManyFieldsSent) as exc:
            return error_response(platform_error(exc))
        if where is not None:
            return JsonResponse({"error": nul_message(where)}, status=400)
        return self.get_response(request)

    @staticmethod
    def nul_in(request) -> str | None:
        """The name of the place holding a NUL (``"q"``, ``"The path"``), or None."""
        if NUL in request.path:
            return _("The path")
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or NUL in query:
            for name, values in request.GET.lists():
                if NUL in name or any(NUL in value for value in values):
                    return name.replace(NUL, "")
        if request.content_type == "application/x-www-form-urlencoded":
            body = request.body
            if b"%00" in body or NUL.encode() in body:
                for name, values in QueryDict(body, encoding=request.encoding).lists():
                    if NUL in name or any(NUL in value for value in values):
                        return name.replace(NUL, "")
        return None


class ApiTrailingSlashMiddleware:
    """Serves ``/api/.../`` as ``/api/...`` when only the latter is a route.

    Mastodon (Rails) accepts both and clients use both: Mastodon.py, for one, asks
    for ``/api/v1/instance/``. Rewriting the path here keeps one route per endpoint
    (and one operation in the OpenAPI schema).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and path.endswith("/") and path != "/api/":
            urlconf = getattr(request, "urlconf", None)
            try:
                resolve(path, urlconf)
            except Resolver404:
                stripped = path.rstrip("/")
                try:
                    resolve(stripped, urlconf)
                except Resolver404:
                    pass
                else:
                    request.path_info = stripped
                    request.path = request.path.rstrip("/")
        return self.get_response(request)
