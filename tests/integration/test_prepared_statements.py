"""PostgreSQL plans a query the API repeats once per connection, not on every request:
parameters are bound server-side and psycopg prepares a statement after
``DATABASE_PREPARE_THRESHOLD`` runs (``config.settings.database``)."""

import pytest
from django.db import connection

from apps.feed.models import Status
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _prepared(marker: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall() if marker in row[0]]


def test_a_repeated_query_is_prepared_once_with_its_values_bound(settings):
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["server_side_binding"] is True
    viewer = UserFactory(username="prepared")
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    assert threshold is not None

    # when the same query runs past the threshold, with a different value each time
    for n in range(threshold + 2):
        list(Status.objects.filter(account=viewer, replies_count__gte=n).values_list("pk"))

    # then PostgreSQL holds it once, as a statement with parameters, not per value
    (statement,) = _prepared('"replies_count" >=')
    assert "$1" in statement
    assert "$2" in statement
