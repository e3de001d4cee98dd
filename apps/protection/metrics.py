"""Protection's Prometheus metrics, served at /metrics by django-prometheus."""

from prometheus_client import Counter

# One per actual change of an account's trust score or level; ``level`` is the new level.
reputation_changes_total = Counter(
    "reputation_changes_total",
    "Changes of accounts' trust scores, by the level they moved to.",
    ["level"],
)
