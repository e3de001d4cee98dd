"""Mastodon's error shape, ``{"error": "..."}``, for every API error.

Validation failures answer 422 with Mastodon's ``details`` beside the summary; a
malformed body 400; a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` 413, too many fields
or files 400; missing or bad credentials 401; a scope or role refusal 403; anything
the viewer may not see 404. A service the request needs being out of reach (the
database, its connection pool, Redis, the task broker) is 503 with ``Retry-After``,
never a 500. Plain Django 404 and 500 pages answer in the same shape under the API
prefixes, with ``DEBUG`` on or off (:class:`core.middleware.ApiErrorMiddleware`).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import redis
from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django_redis.exceptions import ConnectionInterrupted
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core import errors, metrics
from core.errors import flatten

logger = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/oauth/", "/.well-known/")
# Browser pages under the API prefixes: they keep Django's HTML error pages.
BROWSER_PATHS = ("/oauth/authorize",)

# Seconds a client is asked to wait after a 503 for a service out of reach.
RETRY_AFTER_SECONDS = 5

# Errors that mean a service the request needs is out of reach, not that the request
# is wrong: the database down or its pool exhausted (psycopg_pool's PoolTimeout reaches
# us as Django's OperationalError), Redis refusing or timing out, the broker down.
# Redis's ResponseError (a bad command) is a bug and stays a 500.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
)
try:
    from kombu.exceptions import OperationalError as BrokerUnavailable
except ImportError:  # pragma: no cover - Celery is a base requirement
    pass
else:
    OUTAGE_ERRORS += (BrokerUnavailable,)


class UnprocessableEntity(exceptions.APIException):
    """A request that is well formed but cannot be carried out (Mastodon's 422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "Validation failed"
    default_code = "unprocessable"


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "Gone"
    default_code = "gone"


class ServiceUnavailable(exceptions.APIException):
    """A service the request needs is out of reach; answered with ``Retry-After``."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service unavailable"
    default_code = "unavailable"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large"
    default_code = "too_large"


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means a service is out of reach (see ``OUTAGE_ERRORS``).

    The cache (django-redis) wraps Redis's errors in ConnectionInterrupted: judged by
    the Redis error it wraps.
    """
    if isinstance(exc, ConnectionInterrupted):
        return isinstance(exc.__cause__, OUTAGE_ERRORS)
    return isinstance(exc, OUTAGE_ERRORS)


def _from_platform(exc: errors.PlatformError) -> exceptions.APIException:
    """A service's :class:`core.errors.PlatformError` as the DRF error of its status."""
    if isinstance(exc, errors.Invalid):
        return exceptions.ValidationError(exc.detail, code=exc.code)
    if isinstance(exc, errors.NotFound):
        return exceptions.NotFound(exc.detail, code=exc.code)
    if isinstance(exc, errors.Forbidden):
        return exceptions.PermissionDenied(exc.detail, code=exc.code)
    if isinstance(exc, errors.Unavailable):
        return ServiceUnavailable(exc.detail, code=exc.code)
    error = exceptions.APIException(exc.detail, code=exc.code)
    error.status_code = exc.status
    return error


def platform_error(exc: BaseException) -> exceptions.APIException | None:
    """The API error for an exception raised below the views, or None if it is not one.

    The platform's own errors (:mod:`core.errors`, what services raise) become the
    DRF error of their status. Outages become :class:`ServiceUnavailable` (logged
    with their traceback, since the client sees none of it); Django's upload limits
    become 413 and 400. Used by the DRF handler and by the middleware for what
    happens outside DRF's views.
    """
    if isinstance(exc, errors.PlatformError):
        return _from_platform(exc)
    if is_outage(exc):
        logger.warning("service unavailable: %s", type(exc).__name__, exc_info=exc)
        metrics.service_unavailable_total.labels(cause=metrics.outage_cause(exc)).inc()
        return ServiceUnavailable(_("The service is temporarily unavailable, try again shortly"))
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(
            _("The request body is too large (at most %(limit)d bytes)")
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        )
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ParseError(
            _("Too many form fields (at most %(limit)d)")
            % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
        )
    if isinstance(exc, TooManyFilesSent):
        return exceptions.ParseError(
            _("Too many files (at most %(limit)d)")
            % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
        )
    return None


def error_response(exc: exceptions.APIException) -> JsonResponse:
    """``exc`` as a plain Django response in the error shape (outside DRF's views)."""
    response = JsonResponse({"error": "; ".join(flatten(exc.detail))}, status=exc.status_code)
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _details(detail: Any) -> dict[str, list[dict[str, str]]]:
    """Mastodon's ``details``: field -> [{"error": CODE, "description": text}]."""
    if not isinstance(detail, dict):
        return {}
    out: dict[str, list[dict[str, str]]] = {}
    for key, value in detail.items():
        items = value if isinstance(value, list) else [value]
        out[key] = [
            {
                "error": "ERR_" + str(getattr(item, "code", "invalid")).upper(),
                "description": str(item),
            }
            for item in items
            if not isinstance(item, (dict, list))
        ]
    return out


def _django_detail(exc: DjangoValidationError) -> dict[str, list[exceptions.ErrorDetail]]:
    """A Django ValidationError as DRF's detail, keeping each message's code for ``details``."""

    def coded(errors: list[DjangoValidationError]) -> list[exceptions.ErrorDetail]:
        return [
            exceptions.ErrorDetail(message, code=error.code or "invalid")
            for error in errors
            for message in error.messages
        ]

    if hasattr(exc, "error_dict"):
        return {field: coded(errors) for field, errors in exc.error_dict.items()}
    return {"non_field_errors": coded(exc.error_list)}


def validation_summary(detail: Any) -> str:
    return _("Validation failed: %(errors)s") % {"errors": ", ".join(flatten(detail))}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, answering in Mastodon's shape."""
    exc = platform_error(exc) or exc
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=_django_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Record not found"))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        response.data = {"error": validation_summary(exc.detail), "details": _details(exc.detail)}
        return response
    if isinstance(exc, exceptions.NotFound) and str(exc.detail) == str(
        exceptions.NotFound.default_detail
    ):
        message = _("Record not found")
    elif isinstance(exc, exceptions.NotAuthenticated):
        message = _("The access token is invalid")
    elif isinstance(exc, exceptions.Throttled):
        message = _("Too many requests")
    else:
        message = "; ".join(flatten(exc.detail)) if hasattr(exc, "detail") else str(exc)
    response.data = {"error": message}
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def is_api_path(path: str) -> bool:
    """Whether ``path`` belongs to the API (JSON errors) rather than to a browser page."""
    return path.startswith(API_PREFIXES) and not path.startswith(BROWSER_PATHS)


def not_found_response() -> JsonResponse:
    return JsonResponse({"error": _("Record not found")}, status=404)


def server_error_response() -> JsonResponse:
    return JsonResponse(
        {"error": _("We're sorry, but something went wrong on our end.")}, status=500
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_path(request.path):
        return not_found_response()
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler (``DEBUG`` off): an outage is still a 503, anywhere."""
    exc = sys.exc_info()[1]
    error = platform_error(exc) if exc is not None else None
    if isinstance(error, ServiceUnavailable):
        return error_response(error)
    if is_api_path(request.path):
        return server_error_response()
    return defaults.server_error(request)
