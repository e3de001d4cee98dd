"""Moderation's Prometheus metrics, served at /metrics by django-prometheus.

Declared once here so that the pipeline and the review queue share them.
"""

from prometheus_client import Counter, Gauge, Histogram

# One per assessed piece of content: ``type`` is the content type, ``decision`` the outcome.
moderation_requests_total = Counter(
    "moderation_requests_total",
    "Content assessed by automated moderation.",
    ["type", "decision"],
)
moderation_request_duration_seconds = Histogram(
    "moderation_request_duration_seconds",
    "Time to assess one piece of content and decide.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
moderation_confidence_score = Histogram(
    "moderation_confidence_score",
    "Highest category score of each assessment.",
    ["category"],
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0),
)
moderation_queue_size = Gauge(
    "moderation_queue_size",
    "Open review cases, by priority band.",
    ["priority"],
)
# Open cases whose ``sla_due_at`` (MODERATION_SLA_HOURS after they were opened) has passed.
moderation_queue_overdue = Gauge(
    "moderation_queue_overdue",
    "Open review cases past their SLA (MODERATION_SLA_HOURS_*), by priority band.",
    ["priority"],
)
human_review_decisions_total = Counter(
    "human_review_decisions_total",
    "Decisions moderators took on review cases.",
    ["action"],
)
content_reports_total = Counter(
    "content_reports_total",
    "Reports filed by users, by category.",
    ["category"],
)
