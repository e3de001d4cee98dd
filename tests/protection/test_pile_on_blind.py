"""The pile-on detector on scenarios written blind (``tests/protection/pile_on_replay.py``).

Two helpers who never read the detector, its settings or these tests each wrote 60
scenarios (25 pile-ons, 35 hard cases that are not) from a description of what a
pile-on is. The settings were tuned on the first set (``pile_on_scenarios_dev.jsonl``:
with the first settings, moderation's text model scoring a quarter of friendly replies
0.5 or more, 10 of its 35 non-pile-ons raised a shield); the second
(``pile_on_scenarios_blind.jsonl``) met the detector only once the tuning was done. Its
first measurement: 22 of 25 pile-ons raised (recall 0.88), 1 of 35 others (false-positive
rate 0.03, precision 0.96). The floors keep a change from making it worse.
"""

import pytest

from apps.moderation.models import Assessment
from tests.protection.pile_on_replay import replay_all, scenarios

pytestmark = pytest.mark.django_db

RECALL_FLOOR = 0.85
FALSE_POSITIVE_RATE_CEILING = 0.05


def test_the_detector_on_the_blind_scenarios(pipeline):
    confusion = replay_all(run=pipeline)

    # every reply went through moderation's pipeline (its scores are what the detector reads)
    replies = sum(len(scenario["interactions"]) for scenario in scenarios())
    assert Assessment.objects.filter(content_type="status").count() >= replies

    assert confusion.recall >= RECALL_FLOOR, confusion.summary()
    assert confusion.false_positive_rate <= FALSE_POSITIVE_RATE_CEILING, confusion.summary()
