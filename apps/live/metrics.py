"""Live's Prometheus metrics, served at /metrics beside django-prometheus's.

nginx-rtmp's callbacks are counted as they are answered; how many streams are live
is read from the database when /metrics is scraped (:func:`collect`, registered
with :mod:`core.metrics`).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from apps.live.models import Stream

# ``callback``: on_publish, on_publish_done, on_update, on_record_done. ``status``: the
# HTTP status answered: 2xx/3xx go on; 403 refuses the publish (unknown key, a stream
# that may not go live, a wrong shared secret), 404 an unknown stream, 503 ingest not
# configured or a service out of reach.
ingest_callbacks_total = Counter(
    "live_ingest_callbacks",
    "nginx-rtmp callbacks answered, by callback and HTTP status.",
    ["callback", "status"],
)


def collect() -> Iterator[GaugeMetricFamily]:
    """Streams live now (one query)."""
    live = GaugeMetricFamily("live_streams_live", "Live streams currently on the air.")
    live.add_metric([], Stream.objects.filter(state=Stream.State.LIVE).count())
    yield live
