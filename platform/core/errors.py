"""The platform's own errors: what services, selectors and handlers raise.

Services are called from the API, the admin, management commands, tasks and
consumers, so they must not speak HTTP through DRF: they raise these, and one
exception handler (:func:`core.exceptions.api_exception_handler`) maps each to
Mastodon's error shape and status. The admin and commands catch
:class:`PlatformError` and show its ``message``.

The vocabulary is small on purpose; each class says what went wrong, not which
status it becomes (the status is an attribute, read only by the handler)::

    raise NotFound(_("Record not found"))
    raise Forbidden(_("This action is not allowed"))
    raise Invalid({"visibility": [_("is not a valid visibility")]})
    raise Unprocessable(_("Cannot delete a processing upload"))   # 422, no field
    raise Conflict(_("The chunk does not start at the upload's offset"), code="offset_mismatch")

:class:`Invalid` takes what DRF's ``ValidationError`` takes (a message, a list, or
a field -> messages mapping) and answers 422 with Mastodon's ``details``.
"""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    """Base of every error a service raises for its caller to report.

    ``status`` is the HTTP status the API answers with; ``code`` a stable
    machine-readable name (Mastodon's ``details`` use it for field errors).
    """

    status: int = 400
    default_message: str = "The request cannot be carried out"
    default_code: str = "invalid"

    def __init__(self, message: Any = None, *, code: str | None = None) -> None:
        self.detail = self.default_message if message is None else message
        self.code = code or self.default_code
        super().__init__(self.detail)

    @property
    def message(self) -> str:
        """The error as one line of text (for the admin, commands and logs)."""
        return "; ".join(flatten(self.detail))


class NotFound(PlatformError):
    """The object does not exist, or the caller may not know that it does (404)."""

    status = 404
    default_message = "Record not found"
    default_code = "not_found"


class Forbidden(PlatformError):
    """The caller is known and may not do this (403)."""

    status = 403
    default_message = "This action is not allowed"
    default_code = "forbidden"


class Invalid(PlatformError):
    """The input is wrong, field by field (422 with Mastodon's ``details``)."""

    status = 422
    default_message = "Validation failed"
    default_code = "invalid"


class Unprocessable(PlatformError):
    """Well formed and valid, but it cannot be carried out now (422, no fields)."""

    status = 422
    default_message = "Validation failed"
    default_code = "unprocessable"


class Conflict(PlatformError):
    """The request disagrees with the object's current state (409)."""

    status = 409
    default_message = "The request conflicts with the current state"
    default_code = "conflict"


class Gone(PlatformError):
    """The object existed and is gone for good (410)."""

    status = 410
    default_message = "Gone"
    default_code = "gone"


class RangeNotSatisfiable(PlatformError):
    """A byte range that does not fit the object (416)."""

    status = 416
    default_message = "The requested range does not fit"
    default_code = "range_invalid"


class TooLarge(PlatformError):
    """A body or file over the platform's limit (413)."""

    status = 413
    default_message = "The request body is too large"
    default_code = "too_large"


class Unavailable(PlatformError):
    """A service the work needs is out of reach; the caller should retry (503)."""

    status = 503
    default_message = "The service is temporarily unavailable, try again shortly"
    default_code = "unavailable"


def flatten(detail: Any) -> list[str]:
    """Messages of a detail (text, list or field mapping) as lines, "field message"."""
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            for message in flatten(value):
                out.append(message if key in ("non_field_errors", "detail") else f"{key} {message}")
        return out
    if isinstance(detail, (list, tuple)):
        return [message for item in detail for message in flatten(item)]
    return [str(detail)]
