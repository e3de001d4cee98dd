"""Mastodon's error shape, ``{"error": "..."}``, for every API error.

Validation failures answer 422 with Mastodon's ``details`` beside the summary; a
malformed body 400; missing or bad credentials 401; a scope or role refusal 403;
anything the viewer may not see 404. Plain Django 404 and 500 pages answer in the
same shape under the API prefixes.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/oauth/")


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
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service unavailable"
    default_code = "unavailable"


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            for message in _flatten(value):
                out.append(message if key in ("non_field_errors", "detail") else f"{key} {message}")
        return out
    if isinstance(detail, list):
        return [message for item in detail for message in _flatten(item)]
    return [str(detail)]


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
    return _("Validation failed: %(errors)s") % {"errors": ", ".join(_flatten(detail))}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, answering in Mastodon's shape."""
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
        message = "; ".join(_flatten(exc.detail)) if hasattr(exc, "detail") else str(exc)
    response.data = {"error": message}
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"error": _("Record not found")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {"error": _("We're sorry, but something went wrong on our end.")}, status=500
        )
    return defaults.server_error(request)
