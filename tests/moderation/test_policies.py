"""Policies: thresholds per category, and the most severe decision across categories."""

import pytest
from django.core.exceptions import ValidationError

from apps.moderation.models import Category, Policy
from apps.moderation.policies import decide, policies_load


def policy(category: str, queue=0.5, hide=0.8, remove=1.01, enabled=True) -> Policy:
    return Policy(
        category=category,
        queue_threshold=queue,
        hide_threshold=hide,
        remove_threshold=remove,
        is_enabled=enabled,
    )


@pytest.mark.parametrize(
    ("score", "decision"),
    [
        (0.0, "allow"),
        (0.49, "allow"),
        (0.5, "queue"),
        (0.79, "queue"),
        (0.8, "hide"),
        (0.95, "remove"),
    ],
)
def test_a_policy_decides_by_thresholds(score, decision):
    assert policy("offensive", remove=0.95).decide(score) == decision


def test_a_disabled_policy_allows_everything():
    assert policy("offensive", enabled=False).decide(1.0) == "allow"


def test_a_threshold_above_one_disables_the_step():
    assert policy("offensive", remove=1.01).decide(1.0) == "hide"


def test_the_most_severe_decision_wins_over_the_highest_score():
    policies = {"offensive": policy("offensive", hide=0.9), "scam": policy("scam", hide=0.6)}
    outcome = decide({"offensive": 0.85, "scam": 0.65}, policies)
    assert (outcome.decision, outcome.category, outcome.score) == ("hide", "scam", 0.65)
    assert (outcome.top_category, outcome.top_score) == ("offensive", 0.85)


def test_a_tie_in_severity_goes_to_the_higher_score():
    policies = {"spam": policy("spam"), "pii": policy("pii")}
    outcome = decide({"spam": 0.55, "pii": 0.7}, policies)
    assert (outcome.decision, outcome.category) == ("queue", "pii")


def test_nothing_over_a_threshold_is_allowed_with_no_category():
    outcome = decide({"spam": 0.1, "pii": 0.2}, {"spam": policy("spam"), "pii": policy("pii")})
    assert (outcome.decision, outcome.category, outcome.top_category) == ("allow", "", "pii")


def test_a_category_without_a_policy_is_not_acted_on():
    assert decide({"unknown": 1.0}, {}).decision == "allow"


def test_the_migration_gives_every_category_a_policy(db):
    policies = policies_load()
    assert set(policies) == set(Category.values)
    assert all(p.pk is not None for p in policies.values())
    assert (policies["scam"].queue_threshold, policies["scam"].remove_threshold) == (0.5, 0.97)


def test_a_missing_row_falls_back_to_an_unsaved_default(db):
    Policy.objects.filter(category="link").delete()
    link = policies_load()["link"]
    assert link.pk is None
    assert link.decide(0.9) == "hide"


@pytest.mark.parametrize(
    ("queue", "hide", "remove", "message"),
    [
        (0.9, 0.5, 1.0, "must not decrease"),
        (-0.1, 0.5, 1.0, "from 0 to 1"),
        (0.5, 0.9, 0.8, "must not decrease"),
    ],
    ids=["queue-above-hide", "negative", "hide-above-remove"],
)
def test_clean_refuses_thresholds_that_make_no_sense(queue, hide, remove, message):
    with pytest.raises(ValidationError, match=message):
        policy("spam", queue=queue, hide=hide, remove=remove).clean()
