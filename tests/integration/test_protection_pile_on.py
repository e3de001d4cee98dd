"""A pile-on with a real Celery worker on Redis and PostgreSQL.

Thirty new accounts reply with insults through the API; the worker assesses each
reply (batched through Redis), relays ``ContentAssessed`` and counts it in the
detector's Redis windows; the shield goes up, the strangers are muted, their
notifications filtered, the scheduled post held, and one case groups the pile-on.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_pileon \\
    REDIS_URL=redis://127.0.0.1:6379/12 CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \\
    .venv/bin/pytest -m integration --create-db tests/integration/test_protection_pile_on.py
"""

import datetime as dt

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from apps.feed.models import Mute, Notification, ScheduledStatus
from apps.moderation.models import Case
from apps.protection import detector
from apps.protection.models import Shield
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient
from tests.integration.test_moderation_pipeline import pipeline_on, wait_until  # noqa: F401

pytestmark = pytest.mark.integration

INSULTS = [
    "you are a worthless fucking idiot",
    "shut up you stupid bitch",
    "what a pathetic moron you are, fuck off",
    "nobody cares you dumb piece of shit",
    "go to hell you fucking loser",
]


class Member:
    def __init__(self, username: str, *, days_old: int = 400):
        self.account = UserFactory(
            username=username, date_joined=timezone.now() - dt.timedelta(days=days_old)
        )
        self.client = APIClient()
        token = AccessTokenFactory(user=self.account, scope="read write follow push").token
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def post(self, text: str, **extra) -> dict:
        response = self.client.post("/api/v1/statuses", {"status": text, **extra}, format="json")
        assert response.status_code == 200, response.json()
        return response.json()


@pytest.fixture
def victim(pipeline_on):  # noqa: F811
    member = Member("victim")
    yield member
    detector.detector_store().clear(member.account.pk)


def test_thirty_new_accounts_insulting_one_raise_its_shield(victim, pipeline_on):  # noqa: F811
    # given a post and a scheduled post
    post = victim.post("Here is my opinion on the match")
    victim.post(
        "tomorrow's post", scheduled_at=(timezone.now() + dt.timedelta(minutes=10)).isoformat()
    )
    mob = [Member(f"troll{i}", days_old=1) for i in range(30)]

    # when thirty new accounts reply with insults within two minutes
    for i, member in enumerate(mob):
        member.post(f"@victim {INSULTS[i % len(INSULTS)]} ({i})", in_reply_to_id=post["id"])

    # then the worker raises the shield, on the detector's Redis windows
    wait_until(
        lambda: Shield.objects.filter(account=victim.account).exists(),
        "the shield to go up",
        pipeline_on,
    )
    assert isinstance(detector.detector_store(), detector.RedisDetectorStore)
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert client.zcard(f"{{prot:{victim.account.pk}}}:hostile") >= 6
    # every insult reaches it: the strangers are muted, one case groups them
    mob_ids = {m.account.pk for m in mob}
    wait_until(
        lambda: (
            set(Mute.objects.filter(account=victim.account).values_list("target_id", flat=True))
            == mob_ids
        ),
        "every stranger to be muted",
        pipeline_on,
    )
    wait_until(
        lambda: Case.objects.filter(content_type="pile_on").exists(),
        "the grouped case",
        pipeline_on,
    )
    assert Case.objects.filter(content_type="pile_on").count() == 1
    # the held post, and the account was told
    wait_until(lambda: ScheduledStatus.objects.get().held, "the post to be held", pipeline_on)
    assert Notification.objects.filter(account=victim.account, type="agora:shield").count() == 1
    answer = victim.client.get("/api/agora/v1/protection/shield").json()
    assert answer["active"] is True
    assert answer["source"] == "pile_on"


@pytest.mark.django_db(transaction=True)
def test_two_workers_raising_one_shield_at_once_make_one_on_postgresql():
    import threading

    from django.db import connection

    from apps.protection.services import shields

    account = UserFactory()
    barrier = threading.Barrier(4)
    raised: list[tuple[int, bool]] = []
    failures: list[BaseException] = []

    def worker(sender_id: int) -> None:
        try:
            barrier.wait()
            shield, was_raised = shields.shield_raise(
                account_id=account.pk,
                source="pile_on",
                until=timezone.now() + dt.timedelta(days=7),
                senders={sender_id: ([], 0.9)},
            )
            raised.append((shield.pk, was_raised))
        except BaseException as error:  # noqa: BLE001 (reported below)
            failures.append(error)
        finally:
            connection.close()

    senders = [UserFactory().pk for _ in range(4)]
    threads = [threading.Thread(target=worker, args=(sender,)) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len({pk for pk, _raised in raised}) == 1
    assert sorted(was for _pk, was in raised) == [False, False, False, True]
    shield = Shield.objects.get(account=account)
    assert set(shield.senders.values_list("sender_id", flat=True)) == set(senders)
