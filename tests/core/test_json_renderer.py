"""The API's JSON renderer (``core.api.renderers``) writes DRF's bytes, encoded by orjson."""

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.api.renderers import JSONRenderer

drf = renderers.JSONRenderer()
ours = JSONRenderer()

VALUES = {
    "text": {"plain": "hello", "quoted": 'say "hi"\\ \n\t', "control": "\x00\x1f\x7f"},
    "unicode": [
        "héllo",
        "日本語",
        "a dash — and ‘quotes’…",
        "🐘 and 👩🏽‍💻",
        "\ud7ff",
        "line\u2028break\u2029para",
    ],
    "numbers": [0, -1, 2**63 - 1, -(2**63), 1.5, 0.1, 1 / 3, 123456.789, True, False, None],
    "times": [
        dt.datetime(2026, 12, 7, 23, 45, 42, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 7, 23, 45, 42, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dt.datetime(2026, 12, 7, 23, 45, 42),  # noqa: DTZ001 (a naive one is written as given)
        dt.date(2024, 2, 29),
        dt.time(12, 30, 15, 500000),
        dt.timedelta(days=1, seconds=5),
    ],
    "others": [Decimal("12.50"), uuid.UUID(int=7), gettext_lazy("Record not found"), b"bytes"],
    "keys": {1: "int", None: "none", 2.5: "float", "s": "str"},
    "nested": ReturnDict({"list": ReturnList([{"a": []}, {}], serializer=None)}, serializer=None),
    "empty": [[], {}, ""],
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_its_bytes_are_drfs(name):
    data = {name: VALUES[name]}

    assert ours.render(data) == drf.render(data)


def test_line_and_paragraph_separators_are_escaped_as_drf_escapes_them():
    rendered = ours.render({"text": "a\u2028b\u2029c"})

    assert rendered == b'{"text":"a\\u2028b\\u2029c"}'


def test_nothing_renders_as_nothing():
    assert ours.render(None) == b""


def test_an_integer_past_64_bits_is_written_as_drf_writes_it():
    data = {"big": 2**70, "negative": -(2**64)}

    assert (
        ours.render(data)
        == drf.render(data)
        == b'{"big":1180591620717411303424,"negative":-18446744073709551616}'
    )


def test_an_indent_asked_for_is_drfs_indented_json():
    data = {"a": [1, {"b": None}]}

    rendered = ours.render(data, "application/json; indent=4")

    assert rendered == drf.render(data, "application/json; indent=4")
    assert b'\n    "a": [' in rendered


def test_what_drf_cannot_encode_is_refused_as_drf_refuses_it():
    @dataclasses.dataclass
    class Point:
        x: int

    with pytest.raises(TypeError):
        drf.render({"point": Point(1)})
    with pytest.raises(TypeError):
        ours.render({"point": Point(1)})
    with pytest.raises(TypeError):
        ours.render({"thing": object()})


def test_the_two_known_differences_from_drf_are_as_documented():
    # A float under 1e-4 as orjson spells it: the same number, another spelling
    floats = {"small": 5e-05, "smaller": 1e-06, "large": 1e16}
    assert ours.render(floats) == b'{"small":0.00005,"smaller":1e-6,"large":1e+16}'
    assert drf.render(floats) == b'{"small":5e-05,"smaller":1e-06,"large":1e+16}'
    # NaN and infinity are null, where DRF's strict JSON refuses them
    assert ours.render({"nan": float("nan"), "inf": float("inf")}) == b'{"nan":null,"inf":null}'
    with pytest.raises(ValueError, match="not JSON compliant"):
        drf.render({"nan": float("nan")})


def test_the_api_renders_with_it():
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_RENDERER_CLASSES == [JSONRenderer]
