"""The pipeline's Redis batching (``MODERATION_BATCH_SIZE``) against the real Redis.

The unit suite needs no server, so these run here, on the integration suite's own
Redis database (``REDIS_URL``), with the pipeline in process (Celery eager).
"""

import os

import pytest

from apps.feed.models import ModerationState
from apps.moderation import pipeline as pipeline_module
from apps.moderation.models import Assessment
from tests.feed.conftest import alice  # noqa: F401
from tests.moderation.conftest import pipeline, pipeline_flags  # noqa: F401
from tests.moderation.test_pipeline import OFFENSIVE, assessments_of, status_of

pytestmark = pytest.mark.integration

# Not the pipeline suite's clean text: the spam assessor counts the accounts posting the
# same text in the shared cache, and the other integration tests' clean post must stay
# the first of its kind.
CLEAN = "Batching test: the kettle is on and the biscuits are out"


@pytest.fixture
def redis_batching(settings):
    """Batching on, through the suite's Redis database; the pipeline's keys are cleared."""
    import redis

    url = os.environ["REDIS_URL"]
    settings.REDIS_URL = url
    settings.MODERATION_BATCH_SIZE = 2
    client = redis.Redis.from_url(url)
    client.delete(pipeline_module.PENDING_KEY, pipeline_module.DRAIN_KEY)
    yield client
    client.delete(pipeline_module.PENDING_KEY, pipeline_module.DRAIN_KEY)
    for key in client.scan_iter(match="feed:*", count=1000):
        client.delete(key)


def test_with_redis_events_are_drained_in_batches(alice, pipeline, redis_batching):  # noqa: F811
    with pipeline():
        offensive = alice.post(OFFENSIVE)
        clean = alice.post(CLEAN)

    assert assessments_of(offensive).get().decision == "hide"
    assert assessments_of(clean).get().decision == "allow"
    assert status_of(offensive).moderation_state == ModerationState.HIDDEN
    assert redis_batching.llen(pipeline_module.PENDING_KEY) == 0
    assert not redis_batching.exists(pipeline_module.DRAIN_KEY)


def test_one_drain_at_a_time_takes_everything_pending(alice, pipeline, redis_batching):  # noqa: F811
    from apps.feed import services

    statuses = [services.status_create(author=alice.account, text=f"{CLEAN} {n}") for n in range(5)]
    claims = [
        pipeline_module.pending_add(pipeline_module.Request("status", s.pk, "published", f"q{n}"))
        for n, s in enumerate(statuses)
    ]
    redis_batching.rpush(pipeline_module.PENDING_KEY, b"{not json")

    assert claims == [True, False, False, False, False]
    with pipeline():
        assert pipeline_module.pending_drain(batch_size=2) == 6

    assert Assessment.objects.filter(content_id__in=[s.pk for s in statuses]).count() == 5
    assert redis_batching.llen(pipeline_module.PENDING_KEY) == 0
    assert not redis_batching.exists(pipeline_module.DRAIN_KEY)
    # The claim is free again: the next event schedules a new drain.
    assert pipeline_module.pending_add(pipeline_module.Request("status", 1, "published", "z"))
