"""nginx-rtmp's callbacks and the streams on the air, at /metrics (apps.live.metrics)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from tests.metrics_scrape import sample, scrape

pytestmark = pytest.mark.django_db


def callbacks(callback: str, status: str) -> float:
    labels = {"callback": callback, "status": status}
    return REGISTRY.get_sample_value("live_ingest_callbacks_total", labels) or 0.0


def test_callbacks_are_counted_by_status_and_live_streams_are_reported(
    streamer, create_stream, nginx
):
    before = {status: callbacks("on_publish", status) for status in ("302", "403")}
    done_before = callbacks("on_publish_done", "204")
    key = create_stream(streamer)["ingest"]["stream_key"]

    assert nginx("on_publish", "not-a-key").status_code == 403
    assert nginx("on_publish", key, secret="wrong").status_code == 403
    published = nginx("on_publish", key)
    assert published.status_code == 302

    samples = scrape()
    assert sample(samples, "live_ingest_callbacks_total", callback="on_publish", status="403") == (
        before["403"] + 2
    )
    assert sample(samples, "live_ingest_callbacks_total", callback="on_publish", status="302") == (
        before["302"] + 1
    )
    assert sample(samples, "live_streams_live") == 1

    assert nginx("on_publish_done", published["Location"]).status_code == 204

    samples = scrape()
    assert sample(samples, "live_streams_live") == 0
    assert callbacks("on_publish_done", "204") == done_before + 1
