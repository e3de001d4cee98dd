"""Prometheus metrics, request ids and JSON log lines."""

import io
import json
import logging
import re

import pytest

from core.logging import RequestIdFilter


def metric_total(text: str, name: str, **labels: str) -> float:
    """Sum of ``name`` samples whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if not match:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            total += float(match.group(2))
    return total


@pytest.mark.django_db
def test_metrics_count_requests_queries_and_cache_reads(worker_alive, client):
    # given the counters before
    before = client.get("/metrics").content.decode()

    # when a request runs that queries the database and reads the cache (the readiness probe)
    assert client.get("/readyz").status_code == 200

    # then /metrics reports them as Prometheus text
    response = client.get("/metrics")
    after = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert metric_total(after, "django_http_requests_total_by_method_total", method="GET") > (
        metric_total(before, "django_http_requests_total_by_method_total", method="GET")
    )
    assert metric_total(after, "django_db_execute_total") > metric_total(
        before, "django_db_execute_total"
    )
    assert metric_total(after, "django_cache_get_total") > metric_total(
        before, "django_cache_get_total"
    )


@pytest.fixture
def log_lines():
    """The JSON lines the configured console handler writes during the test."""
    handler = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in handler.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    handler.setStream(previous)


def test_request_id_from_the_caller_is_echoed_and_logged(client, log_lines, settings):
    settings.DEBUG = False

    response = client.get("/api/v1/no-such-endpoint", HTTP_X_REQUEST_ID="probe-123")

    assert response["X-Request-Id"] == "probe-123"
    lines = [line for line in log_lines() if line["logger"] == "django.request"]
    assert len(lines) == 1
    assert lines[0]["request_id"] == "probe-123"
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["message"] == "Not Found: /api/v1/no-such-endpoint"
    assert "time" in lines[0]


@pytest.mark.parametrize(
    "incoming",
    [None, "", "has spaces", "x" * 65, "<script>"],
    ids=["none", "empty", "spaces", "long", "markup"],
)
def test_missing_or_unsafe_request_id_is_replaced(client, log_lines, incoming):
    headers = {} if incoming is None else {"HTTP_X_REQUEST_ID": incoming}

    response = client.get("/api/v1/no-such-endpoint", **headers)

    generated = response["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    request_lines = [line for line in log_lines() if line["logger"] == "django.request"]
    assert [line["request_id"] for line in request_lines] == [generated]


def test_log_lines_outside_a_request_carry_a_dash(log_lines):
    logging.getLogger("agora.test").warning("outside any request")

    assert log_lines()[-1]["message"] == "outside any request"
    assert log_lines()[-1]["request_id"] == "-"
