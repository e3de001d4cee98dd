"""PostgreSQL sessions as the settings open them."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_sessions_run_without_jit():
    # The API's short queries with large plans paid seconds of JIT compiling for
    # milliseconds of work: the settings switch it off (DATABASE_JIT).
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the unit suite also runs on it in CI")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
