"""Turning scores into a decision by the policies moderators set in the admin, and the
audited writes of what moderators tune there: policies and the known-media hash list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from apps.moderation.models import Category, Decision, KnownMediaHash, Policy
from core import audit

POLICY_FIELDS = ("is_enabled", "queue_threshold", "hide_threshold", "remove_threshold")

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


# What an unsure assessment may do at most: ask a person.
UNSURE_CEILING = Decision.QUEUE


def decide(
    scores: Mapping[str, float],
    policies: Mapping[str, Policy],
    confidences: Mapping[str, float] | None = None,
) -> Outcome:
    """The most severe decision any category's policy takes; ties go to the higher score.

    Where ``confidences`` says the assessor is unsure of a category (below
    ``MODERATION_ACT_MIN_CONFIDENCE``), that category's policy queues for a person instead
    of hiding or removing.
    """
    least_sure = settings.MODERATION_ACT_MIN_CONFIDENCE
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
        unsure = confidences is not None and confidences.get(name, 1.0) < least_sure
        if unsure and SEVERITY[taken] > SEVERITY[UNSURE_CEILING]:
            taken = UNSURE_CEILING
        if (SEVERITY[taken], value) > (SEVERITY[decision], score):
            decision, category, score = taken, name, value
    return Outcome(Decision(decision).value, category, score, top_category, top_score)


# What moderators tune (the admin calls these) ------------------------------------


def _policy_state(policy: Policy) -> dict:
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


def _known_hash_state(known: KnownMediaHash) -> dict:
    return {
        "hash": known.hash,
        "label": known.label,
        "max_distance": known.max_distance,
        "is_active": known.is_active,
    }


def policy_update(*, policy: Policy, actor) -> Policy:
    """Save a policy's changed thresholds (validated by ``Policy.clean``), audited."""
    policy.full_clean()
    with transaction.atomic():
        before = _policy_state(Policy.objects.select_for_update().get(pk=policy.pk))
        policy.updated_by = actor
        policy.save()
        audit.policy_changed(
            actor=actor,
            policy_id=policy.pk,
            before=before,
            after=_policy_state(policy),
            note=policy.category,
        )
    return policy


def known_hash_save(*, known: KnownMediaHash, actor) -> KnownMediaHash:
    """Add a known-media hash, or save changes to one, audited."""
    known.full_clean()
    with transaction.atomic():
        previous = (
            KnownMediaHash.objects.select_for_update().filter(pk=known.pk).first()
            if known.pk
            else None
        )
        if previous is None:
            known.added_by = actor
        known.save()
        audit.known_media_hash_saved(
            actor=actor,
            hash_id=known.pk,
            before=_known_hash_state(previous) if previous else None,
            after=_known_hash_state(known),
            note=known.label,
        )
    return known


def known_hash_delete(*, known: KnownMediaHash, actor) -> None:
    """Remove a hash from the known-media list, audited with what it was."""
    with transaction.atomic():
        pk = known.pk
        before = _known_hash_state(known)
        known.delete()
        audit.known_media_hash_deleted(
            actor=actor,
            hash_id=pk,
            before=before,
            note=before["label"],
        )
