"""The database pool's metrics on real PostgreSQL: its size at /metrics, and an exhausted
pool counted as ``agora_service_unavailable_total{cause="database_pool"}`` and in
``agora_database_pool_errors_total`` (what AgoraDatabasePoolSaturated reads)."""

import pytest
from django.db import connection
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_outages_database import (  # noqa: F401 (fixture)
    PATH,
    get_from_another_thread,
    pool_of_one,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def scrape() -> dict[tuple[str, frozenset], float]:
    response, _elapsed = get_from_another_thread("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_the_pool_is_reported_with_its_configured_size(settings):
    configured = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]

    samples = scrape()

    assert value(samples, "agora_database_up", alias="default") == 1
    assert value(samples, "agora_database_pool_max_size", alias="default") == configured
    assert value(samples, "agora_database_pool_size", alias="default") >= 1
    assert value(samples, "agora_database_pool_requests_waiting", alias="default") == 0


@pytest.mark.usefixtures("pool_of_one")
def test_an_exhausted_pool_is_counted_as_a_pool_outage():
    cause = {"cause": "database_pool"}
    before = REGISTRY.get_sample_value("agora_service_unavailable_total", cause) or 0.0
    connection.ensure_connection()  # the pool's only connection, held

    refused, _elapsed = get_from_another_thread(PATH)

    assert refused.status_code == 503
    assert REGISTRY.get_sample_value("agora_service_unavailable_total", cause) == before + 1
    connection.close()  # back to the pool
    samples = scrape()
    assert value(samples, "agora_database_pool_max_size", alias="default") == 1
    assert value(samples, "agora_database_pool_errors_total", alias="default") >= 1
    assert value(samples, "agora_database_up", alias="default") == 1
