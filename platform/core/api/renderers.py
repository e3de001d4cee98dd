"""The API's JSON renderer: DRF's output, encoded by orjson.

DRF's ``JSONRenderer`` encodes with the standard library (its C encoder): about a quarter
of a millisecond for a page of twenty statuses or notifications (33-36 KB), every page of
every timeline. This renderer writes the same page in about a fifth of that (orjson with no
options, a tenth). It asks orjson for exactly DRF's bytes: compact, UTF-8 unescaped (``UNICODE_JSON``), U+2028 and U+2029
escaped, keys in the order given, non-string keys as strings, and everything orjson does
not encode as DRF does (dates and times, decimals, UUIDs, lazy translations, querysets)
handed to DRF's own encoder (orjson's ``default``; dates and times passed through to it,
so they keep DRF's millisecond precision and ``Z``; dataclasses too, which DRF refuses).
Where DRF's settings or the request ask for something else (indentation, ASCII only, spaced
separators, NaN allowed), or orjson refuses the data (an integer past 64 bits, a type
nobody encodes), it is DRF's renderer, which answers or raises as it always has.

Two known differences. A float under 1e-4 may be spelled otherwise: orjson writes
``0.00005`` and ``1e-6`` where the standard library writes ``5e-05`` and ``1e-06`` (large
floats are spelled alike). The same number to any JSON reader, and Agora's entities hold
no such floats. A NaN or an
infinity is written ``null``, where DRF's strict JSON raises (a 500).
``tests/core/test_json_renderer.py`` holds the two renderers' bytes equal on values of
every kind, ``tests/feed/test_json_rendering.py`` on the API's pages.
"""

from __future__ import annotations

import re

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
# U+2028 and U+2029 in UTF-8: both start with the byte E2, which most pages never hold (a
# search for one byte costs a microsecond a page, for the three bytes 30).
_SEPARATOR_LEAD = b"\xe2"
_SEPARATORS = re.compile(b"\xe2\x80([\xa8\xa9])")


class JSONRenderer(renderers.JSONRenderer):
    """DRF's ``JSONRenderer``, its bytes encoded by orjson where they can be."""

    _drf_encoder = JSONEncoder()

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            data is None
            or self.ensure_ascii
            or not self.compact
            or not self.strict
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            encoded = orjson.dumps(data, default=self._drf_encoder.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF: JSON that is also a strict subset of JavaScript.
        if _SEPARATOR_LEAD in encoded:
            encoded = _SEPARATORS.sub(_escaped, encoded)
        return encoded


def _escaped(separator: re.Match[bytes]) -> bytes:
    return b"\\u2028" if separator[1] == b"\xa8" else b"\\u2029"
