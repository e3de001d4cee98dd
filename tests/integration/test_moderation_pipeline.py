"""Automated moderation with a real Celery worker on Redis and PostgreSQL.

A status published through the API reaches the worker by the event and the
broker; the worker assesses it, writes the assessment, hides the status through
``ContentActioned`` and opens a review case.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_modpipeline \\
    REDIS_URL=redis://127.0.0.1:6379/12 \\
    .venv/bin/pytest -m integration --create-db tests/integration/test_moderation_pipeline.py
"""

import time

import pytest

from apps.feed.models import ModerationState, Status
from apps.moderation.models import Assessment, Case, Policy
from core import flags
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient

pytestmark = pytest.mark.integration

TASK_SECONDS = 30
DEFAULT_POLICIES = {"offensive": (0.5, 0.85, 1.01), "pii": (0.6, 0.9, 1.01)}


class Member:
    def __init__(self, username: str):
        self.account = UserFactory(username=username)
        self.client = APIClient()
        token = AccessTokenFactory(user=self.account, scope="read write follow push").token
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def post(self, text: str) -> int:
        response = self.client.post("/api/v1/statuses", {"status": text}, format="json")
        assert response.status_code == 200, response.json()
        return int(response.json()["id"])


def wait_until(condition, what: str, worker) -> None:
    deadline = time.monotonic() + TASK_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{worker.worker_log()}")


@pytest.fixture
def pipeline_on(transactional_db, celery_worker_process):
    """Flags and policies as the migrations create them (a transactional test flushes those)."""
    from waffle.models import Flag

    for name in (flags.AI_MODERATION, flags.HUMAN_REVIEW_QUEUE):
        flag, _created = Flag.objects.get_or_create(name=name)
        flag.everyone = True
        flag.save()
    for category, (queue, hide, remove) in DEFAULT_POLICIES.items():
        Policy.objects.update_or_create(
            category=category,
            defaults={"queue_threshold": queue, "hide_threshold": hide, "remove_threshold": remove},
        )
    return celery_worker_process


def test_an_offensive_post_ends_hidden_and_queued(pipeline_on):
    alice, bob = Member("alice"), Member("bob")

    offensive = alice.post("You are a worthless fucking idiot and everyone hates you")
    clean = alice.post("Lovely walk by the river this morning, the herons were out")

    wait_until(
        lambda: Status.objects.get(pk=offensive).moderation_state == ModerationState.HIDDEN,
        "the offensive status to be hidden",
        pipeline_on,
    )
    wait_until(
        lambda: Assessment.objects.filter(content_id=clean).exists(),
        "the clean status's assessment",
        pipeline_on,
    )
    assessment = Assessment.objects.get(content_type="status", content_id=offensive)
    assert (assessment.decision, assessment.category) == ("hide", "offensive")
    assert assessment.evidence["text"].startswith("You are a worthless")
    case = Case.objects.get(content_type="status", content_id=offensive)
    assert (case.hidden, case.category, case.assessment_id) == (True, "offensive", assessment.pk)
    assert bob.client.get(f"/api/v1/statuses/{offensive}").status_code == 404

    assert Assessment.objects.get(content_id=clean).decision == "allow"
    assert Status.objects.get(pk=clean).moderation_state == ModerationState.VISIBLE
    assert not Case.objects.filter(content_id=clean).exists()
    assert bob.client.get(f"/api/v1/statuses/{clean}").status_code == 200


def test_an_edit_is_assessed_again_and_the_first_evidence_stays(pipeline_on):
    alice = Member("alice")
    status_id = alice.post("my card number, for the raffle")
    wait_until(
        lambda: Assessment.objects.filter(content_id=status_id).exists(),
        "the first assessment",
        pipeline_on,
    )

    response = alice.client.put(
        f"/api/v1/statuses/{status_id}",
        {"status": "my card number 4111 1111 1111 1111, for the raffle"},
        format="json",
    )
    assert response.status_code == 200, response.json()

    wait_until(
        lambda: Assessment.objects.filter(content_id=status_id).count() == 2,
        "the edit's assessment",
        pipeline_on,
    )
    first, second = Assessment.objects.filter(content_id=status_id).order_by("pk")
    assert (first.trigger, first.decision, first.evidence["text"]) == (
        "published",
        "allow",
        "my card number, for the raffle",
    )
    assert (second.trigger, second.decision, second.category) == ("updated", "hide", "pii")
    wait_until(
        lambda: Status.objects.get(pk=status_id).moderation_state == ModerationState.HIDDEN,
        "the edited status to be hidden",
        pipeline_on,
    )


def test_a_burst_of_posts_is_drained_in_batches_and_all_assessed(pipeline_on):
    import os

    import redis

    from apps.moderation import pipeline

    alice = Member("alice")
    ids = [alice.post(f"Post number {n} about the river walk and the herons") for n in range(25)]
    ids.append(alice.post("Shut up you stupid piece of shit"))

    wait_until(
        lambda: Assessment.objects.filter(content_id__in=ids).count() == len(ids),
        "every post of the burst to be assessed",
        pipeline_on,
    )
    wait_until(
        lambda: Status.objects.get(pk=ids[-1]).moderation_state == ModerationState.HIDDEN,
        "the offensive post to be hidden",
        pipeline_on,
    )
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    wait_until(lambda: not client.exists(pipeline.DRAIN_KEY), "the drain to finish", pipeline_on)
    assert client.llen(pipeline.PENDING_KEY) == 0
    assert Assessment.objects.filter(content_id__in=ids).values(
        "content_id"
    ).distinct().count() == len(ids)


def test_the_sweep_takes_over_a_list_whose_drain_was_lost(transactional_db, settings):
    """No worker: a drain claimed the list and died; once its claim lapses, the sweep
    (beat, every minute) assesses what waited."""
    import json
    import os

    import redis
    from waffle.models import Flag

    from apps.moderation import pipeline

    Flag.objects.update_or_create(name=flags.AI_MODERATION, defaults={"everyone": True})
    settings.MODERATION_BATCH_SIZE = 10
    alice = Member("alice")
    status = Status.objects.create(account=alice.account, text="waiting", content="<p>waiting</p>")
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete(pipeline.PENDING_KEY, pipeline.DRAIN_KEY)
    request = {"content_type": "status", "content_id": status.pk, "trigger": "published",
               "request_id": "lost-drain-1"}  # fmt: skip
    client.rpush(pipeline.PENDING_KEY, json.dumps(request))
    # a drain holds the list: the sweep leaves it alone
    client.set(pipeline.DRAIN_KEY, "1", ex=60)
    assert pipeline.pending_sweep(batch_size=10) == 0
    assert not Assessment.objects.filter(content_id=status.pk).exists()

    # the drain's claim lapses without it finishing
    client.delete(pipeline.DRAIN_KEY)
    assert pipeline.pending_sweep(batch_size=10) == 1

    assert Assessment.objects.filter(content_id=status.pk).count() == 1
    assert client.llen(pipeline.PENDING_KEY) == 0
    assert not client.exists(pipeline.DRAIN_KEY)
    # an empty list: nothing to do
    assert pipeline.pending_sweep(batch_size=10) == 0
