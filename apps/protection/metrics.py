"""Protection's Prometheus metrics, served at /metrics by django-prometheus."""

from prometheus_client import Counter

# One per actual change of an account's trust score or level; ``level`` is the new level.
reputation_changes_total = Counter(
    "reputation_changes_total",
    "Changes of accounts' trust scores, by the level they moved to.",
    ["level"],
)
shields_raised_total = Counter(
    "protection_shields_raised_total",
    "Shields raised, by what raised them (pile_on, account).",
    ["source"],
)
pile_on_interactions_total = Counter(
    "protection_pile_on_interactions_total",
    "Inbound interactions from strangers the pile-on detector counted, hostile or not.",
    ["hostile"],
)
