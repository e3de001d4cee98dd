"""Protection's Prometheus metrics."""

from prometheus_client import Counter

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
