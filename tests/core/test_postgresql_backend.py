"""Agora's PostgreSQL backend reads timestamps with psycopg's own loader (``core.backends.postgresql``).

In a UTC session psycopg's loader answers what Django's answers, for a fraction of the CPU:
the same instants, with ``datetime.UTC`` as their time zone. Checked here against Django's
loader on the same values, on a real connection, and that a connection in another time
zone keeps Django's loader.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
from django.db.backends.postgresql.psycopg_any import BaseTzLoader, register_tzloader
from django.db.utils import load_backend
from django.test.utils import override_settings
from psycopg.pq import Format

from apps.accounts.models import User
from core.backends.postgresql.base import UtcTimestamptzLoader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]

# Instants around what a page reads: microseconds, the epoch, leap days, far ahead.
VALUES = (
    "2026-12-07 16:21:15.698123+00",
    "2026-12-07 17:21:15.000001+01",
    "1970-01-01 00:00:00+00",
    "2024-02-29 23:59:59.999999-08",
    "2999-12-31 23:59:59.5+00",
    "0001-01-01 00:00:00+00",
)


def _read(cursor) -> list[dt.datetime]:
    sql = "SELECT v::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n"
    cursor.execute(sql, [list(VALUES)])
    return [row[0] for row in cursor.fetchall()]


def test_timestamps_read_as_djangos_loader_reads_them():
    with connection.cursor() as cursor:
        adapters = cursor.connection.adapters
        assert adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is UtcTimestamptzLoader
        ours = _read(cursor)
        register_tzloader(connection.timezone, cursor.cursor)  # Django's, on this cursor
        assert issubclass(
            cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT), BaseTzLoader
        )
        djangos = _read(cursor)

    assert ours == djangos
    assert [value.isoformat() for value in ours] == [value.isoformat() for value in djangos]
    assert all(value.tzinfo is dt.UTC for value in ours)


def test_models_read_aware_utc_timestamps():
    joined = dt.datetime(2025, 3, 30, 1, 30, 0, 123456, tzinfo=dt.UTC)
    user = User.objects.create(username="clockwork", date_joined=joined)

    read = User.objects.get(pk=user.pk).date_joined

    assert read == joined
    assert read.tzinfo is dt.UTC


@override_settings(USE_TZ=True)
def test_a_connection_in_another_time_zone_keeps_djangos_loader():
    settings_dict = {**connection.settings_dict, "TIME_ZONE": "Europe/Paris"}
    wrapper = load_backend(settings.DATABASES["default"]["ENGINE"]).DatabaseWrapper(
        settings_dict, "paris"
    )

    context = wrapper.get_connection_params()["context"]

    loader = context.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert issubclass(loader, BaseTzLoader)
    assert str(loader.timezone) == "Europe/Paris"
