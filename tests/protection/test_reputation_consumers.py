"""What reads reputation through core.reputation: moderation's reporter weight, live chat."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.moderation import selectors
from apps.moderation.models import Case
from apps.protection.models import Reputation
from tests.feed.conftest import Member
from tests.live.chat_support import make_stream
from tests.live.test_chat_rules import accepted, refused, with_settings

pytestmark = pytest.mark.django_db


def member(name: str, *, days: int, score: float | None = None, level: str = "") -> Member:
    found = Member(name, date_joined=timezone.now() - dt.timedelta(days=days))
    if score is not None:
        Reputation.objects.create(account=found.account, score=score, level=level)
    return found


def report(reporter: Member, *, account: Member, status_id: str):
    response = reporter.client.post(
        "/api/v1/reports",
        {"account_id": account.id, "status_ids": [status_id], "category": "spam"},
        format="json",
    )
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    ("days", "score", "level", "weight"),
    [
        pytest.param(400, 0.9, "established", 0.9, id="established-weighs-most"),
        pytest.param(100, None, "", 0.6, id="age-only-normal"),
        pytest.param(1, None, "", 0.3, id="new-account"),
        pytest.param(100, 0.1, "low", 0.1, id="low-trust"),
    ],
)
def test_a_reporters_weight_is_its_record_times_its_trust(days, score, level, weight):
    # a reporter with no decided reports (record 0.5)
    reporter = member("reporter", days=days, score=score, level=level)

    assert selectors.reporter_trust(reporter_id=reporter.account.pk) == weight


def test_a_case_reported_by_an_established_account_comes_before_one_by_a_new_account():
    author = member("author", days=100)
    veteran = member("veteran", days=400, score=0.9, level="established")
    newcomer = member("newcomer", days=1)
    first, second = author.post("one"), author.post("two")

    report(newcomer, account=author, status_id=first["id"])
    report(veteran, account=author, status_id=second["id"])

    queue = list(Case.objects.open().queue_order().values_list("content_id", "reporter_weight"))
    assert queue == [(int(second["id"]), 0.9), (int(first["id"]), 0.3)]


@pytest.fixture
def streamer(db):
    return member("streamer", days=400).account


@pytest.mark.django_db(transaction=True)  # the chat socket runs in another thread
def test_established_only_chat_admits_established_accounts_alone(streamer, token_for):
    stream = with_settings(make_stream(streamer), established_only=True)
    newcomer = member("newcomer", days=1).account
    normal = member("normal", days=100).account
    veteran = member("veteran", days=400, score=0.9, level="established").account

    refused(stream, token_for(newcomer), "established_only")
    refused(stream, token_for(normal), "established_only")
    accepted(stream, token_for(veteran))
    # the streamer is exempt
    accepted(stream, token_for(streamer))


def test_established_only_is_a_chat_setting_the_api_validates(streamer, token_for):
    from tests.api_client import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(streamer)}")
    stream = make_stream(streamer)
    url = f"/api/agora/v1/live/streams/{stream.pk}/chat/settings"

    bad = client.patch(url, {"established_only": "sometimes"}, format="json")
    good = client.patch(url, {"established_only": True}, format="json")

    assert bad.status_code == 422
    assert good.status_code == 200, good.json()
    assert good.json()["established_only"] is True
