"""Turning scores into a decision by the policies moderators set in the admin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from apps.moderation.models import Category, Decision, Policy

# Mildest first: the decision taken is the most severe any category's policy asks for.
SEVERITY = {
    Decision.ALLOW: 0,
    Decision.QUEUE: 1,
    Decision.HIDE: 2,
    Decision.REMOVE: 3,
}


@dataclass(frozen=True)
class Outcome:
    decision: str
    # The category whose policy decided ("" when allowed), and its score.
    category: str
    score: float
    # The category with the highest score, whatever the decision.
    top_category: str
    top_score: float


def policies_load() -> dict[str, Policy]:
    """Every category's policy; a category without a row gets an unsaved default one."""
    rows = Policy.objects.order_by().only(
        "id", "category", "is_enabled", "queue_threshold", "hide_threshold", "remove_threshold"
    )
    policies = {policy.category: policy for policy in rows}
    for category in Category.values:
        policies.setdefault(category, Policy(category=category))
    return policies


def decide(scores: Mapping[str, float], policies: Mapping[str, Policy]) -> Outcome:
    """The most severe decision any category's policy takes; ties go to the higher score."""
    decision, category, score = Decision.ALLOW, "", 0.0
    top_category, top_score = "", 0.0
    for name, value in sorted(scores.items()):
        if value > top_score:
            top_category, top_score = name, value
        policy = policies.get(name)
        if policy is None:
            continue
        taken = policy.decide(value)
        if taken == Decision.ALLOW:
            continue
        if (SEVERITY[taken], value) > (SEVERITY[decision], score):
            decision, category, score = taken, name, value
    return Outcome(Decision(decision).value, category, score, top_category, top_score)
