"""Reading /metrics the way Prometheus does, for the tests of each app's metrics."""

from __future__ import annotations

from django.test import Client
from prometheus_client.parser import text_string_to_metric_families


def scrape(client: Client | None = None) -> dict[tuple[str, frozenset], float]:
    """GET /metrics: ``{(sample name, frozenset(labels.items())): value}``.

    Fails the test unless the scrape answers 200: a scrape must never fail.
    """
    response = (client or Client()).get("/metrics")
    assert response.status_code == 200, response.content[:500]
    samples: dict[tuple[str, frozenset], float] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def sample(samples: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` with exactly ``labels``, or None when it is absent."""
    return samples.get((name, frozenset(labels.items())))
