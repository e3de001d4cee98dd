"""Request bodies the API parses are checked the same way whichever parser a view chose.

Views pick their parsers (``parser_classes``: JSON, forms, multipart, raw chunks), so
the checks wrap the parser DRF selects rather than live in one parser subclass: the
content negotiation class, set once in ``REST_FRAMEWORK``, hands every view's chosen
parser over wrapped in :class:`CheckedParser`. A checked body

- is at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes when it is JSON or a URL-encoded
  form (Django enforces the limit only when it parses a form itself; multipart fields
  are limited by Django's parser, and files by the media settings): 413 otherwise;
- nests JSON at most :data:`MAX_JSON_DEPTH` deep, Ruby's JSON default that
  Mastodon's Rails parser applies: 400 otherwise, instead of a ``RecursionError``;
- holds no NUL character in any key or text value (PostgreSQL's text cannot store
  one, and no Mastodon field needs it): 400 naming the field.

The query string, the path and URL-encoded bodies that Django parses itself (outside
DRF) are checked for NUL by :class:`core.middleware.RejectNulBytesMiddleware`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser, FormParser, JSONParser

# Ruby's JSON.parse max_nesting, which Mastodon (Rails) applies to request bodies.
MAX_JSON_DEPTH = 100

NUL = "\x00"


def nul_message(name: str) -> str:
    return _("%(name)s contains a NUL character") % {"name": name}


def _too_deep() -> ParseError:
    return ParseError(
        _("JSON parse error - nesting is too deep (at most %(depth)d levels)")
        % {"depth": MAX_JSON_DEPTH}
    )


def check_parsed(data: Any, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raises ParseError if ``data`` nests deeper than ``max_depth`` or holds a NUL.

    Walks without recursion, so a deep document cannot exhaust the stack here.
    The field a NUL is reported in is the top-level key it was found under.
    """
    if isinstance(data, MultiValueDict):
        data = dict(data.lists())
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, field = stack.pop()
        if isinstance(value, dict):
            if depth > max_depth:
                raise _too_deep()
            for key, item in value.items():
                name = field or str(key)
                if isinstance(key, str) and NUL in key:
                    raise ParseError(nul_message(name.replace(NUL, "")))
                stack.append((item, depth + 1, name))
        elif isinstance(value, list):
            if depth > max_depth:
                raise _too_deep()
            stack.extend((item, depth + 1, field) for item in value)
        elif isinstance(value, str) and NUL in value:
            raise ParseError(nul_message(field or _("The request body")))


class LimitedStream:
    """A request stream that refuses to give more than ``limit`` bytes."""

    def __init__(self, stream, limit: int):
        self.stream = stream
        self.limit = limit
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        allowed = self.limit + 1 - self.consumed
        chunk = self.stream.read(allowed if size is None or size < 0 else min(size, allowed))
        self.consumed += len(chunk)
        if self.consumed > self.limit:
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        return chunk


class CheckedParser(BaseParser):
    """A view's parser, with the checks of this module around it."""

    def __init__(self, parser: BaseParser):
        self.parser = parser
        self.media_type = parser.media_type

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        is_limited = isinstance(self.parser, (JSONParser, FormParser)) and limit is not None
        if is_limited:
            request = (parser_context or {}).get("request")
            declared = request.META.get("CONTENT_LENGTH") if request is not None else None
            if declared and declared.isdigit() and int(declared) > limit:
                raise RequestDataTooBig(
                    "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."
                )
            stream = LimitedStream(stream, limit)
        try:
            parsed = self.parser.parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        check_parsed(getattr(parsed, "data", parsed))
        return parsed


class CheckedContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, handing back the selected parser wrapped in :class:`CheckedParser`."""

    def select_parser(self, request, parsers):
        parser = super().select_parser(request, parsers)
        return None if parser is None else CheckedParser(parser)
