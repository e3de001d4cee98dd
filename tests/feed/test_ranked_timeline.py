"""GET /api/agora/v1/timelines/ranked: the ranked home timeline, its reasons and its model."""

import datetime as dt

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.feed.models import RankingModel, Status
from apps.feed.ranking_tasks import ranking_train_task
from config.celery import app
from tests.api_client import APIClient
from tests.feed.conftest import Member

URL = "/api/agora/v1/timelines/ranked"


def shift(status: dict, **delta) -> None:
    Status.objects.filter(pk=status["id"]).update(created_at=timezone.now() - dt.timedelta(**delta))


def ranked(member, **params) -> list[dict]:
    response = member.client.get(URL, params)
    assert response.status_code == 200, response.json()
    return response.json()


def ids(entities) -> list[str]:
    return [entity["id"] for entity in entities]


def test_each_status_says_why_it_ranked_where_it_did(alice, bob):
    # given: a 6-hour-old status with engagement, and a fresh one without
    alice.follow(bob)
    older = bob.post("older but liked")
    fresh = bob.post("fresh")
    shift(older, hours=6)
    Status.objects.filter(pk=older["id"]).update(favourites_count=2)
    # when
    timeline = ranked(alice)
    # then
    assert ids(timeline) == [older["id"], fresh["id"]]
    first = timeline[0]["agora_ranking"]
    components = first["components"]
    assert components["recency"]["value"] == pytest.approx(0.5, abs=1e-3)
    assert components["recency"]["weight"] == 0.4
    assert components["engagement"] == {"value": 1.0, "weight": 0.3, "contribution": 0.3}
    assert components["affinity"] == {"value": 0.0, "weight": 0.2, "contribution": 0.0}
    assert components["learned"] == {"value": 0.0, "weight": 0.1, "contribution": 0.0}
    assert first["model_version"] is None
    assert first["score"] == pytest.approx(0.5, abs=1e-3)
    assert first["score"] == pytest.approx(
        sum(part["contribution"] for part in components.values()), abs=1e-5
    )
    second = timeline[1]["agora_ranking"]
    assert second["components"]["engagement"]["value"] == 0.0
    assert second["score"] == pytest.approx(0.4, abs=1e-3)
    assert timeline[0]["account"]["username"] == "bob"
    assert timeline[0]["content"] == "<p>older but liked</p>"


def test_affinity_with_an_author_lifts_their_statuses(alice, bob, carol):
    # given: alice favourited carol's status days ago (older than the ranking window)
    alice.follow(bob)
    alice.follow(carol)
    liked = carol.post("an old favourite")
    alice.client.post(f"/api/v1/statuses/{liked['id']}/favourite")
    shift(liked, days=4)
    from_carol = carol.post("new from carol")
    from_bob = bob.post("new from bob")
    # when
    timeline = ranked(alice)
    # then
    assert ids(timeline) == [from_carol["id"], from_bob["id"]]
    assert timeline[0]["agora_ranking"]["components"]["affinity"]["value"] == 1.0
    assert timeline[1]["agora_ranking"]["components"]["affinity"]["value"] == 0.0


def test_weights_and_half_life_come_from_settings(alice, bob, settings):
    settings.FEED_RANKING_WEIGHTS = {"recency": 1.0, "engagement": 0.0, "affinity": 0.0}
    settings.FEED_RANKING_HALF_LIFE_HOURS = 2
    alice.follow(bob)
    status = bob.post("two hours old")
    shift(status, hours=2)

    ranking = ranked(alice)[0]["agora_ranking"]

    assert ranking["score"] == pytest.approx(0.5, abs=1e-3)
    assert ranking["components"]["learned"]["weight"] == 0.0


def test_candidates_are_the_home_timeline_of_the_window(alice, bob, carol, settings):
    # given
    settings.FEED_RANKING_WINDOW_HOURS = 72
    dave = Member("dave")
    alice.follow(bob)
    alice.follow(dave)
    own = alice.post("mine")
    followed = bob.post("from a follow")
    too_old = bob.post("too old")
    shift(too_old, hours=73)
    carol.post("not followed")
    dave.post("muted")
    alice.client.post(f"/api/v1/accounts/{dave.id}/mute")
    # when
    timeline = ranked(alice)
    # then
    assert sorted(ids(timeline)) == sorted([own["id"], followed["id"]])


def test_a_private_status_reaches_followers_only(alice, bob, carol):
    carol.follow(bob)
    private = bob.post("followers only", visibility="private")
    bob.post("@alice direct", visibility="direct")

    assert ids(ranked(carol)) == [private["id"]]
    assert ranked(alice) == []


def test_a_status_reblogged_into_the_feed_appears_once(alice, bob, carol):
    alice.follow(bob)
    alice.follow(carol)
    original = carol.post("worth sharing")
    bob.client.post(f"/api/v1/statuses/{original['id']}/reblog")

    timeline = ranked(alice)

    assert len(timeline) == 1
    shown = timeline[0]["reblog"]["id"] if timeline[0]["reblog"] else timeline[0]["id"]
    assert shown == original["id"]


def test_limit_and_offset_page_through_the_ranking(alice, bob):
    # given: five statuses an hour apart rank newest first
    alice.follow(bob)
    posted = [bob.post(f"status {n}") for n in range(5)]
    for hours, status in enumerate(reversed(posted)):
        shift(status, hours=hours)
    # when
    response = alice.client.get(URL, {"limit": 2})
    second = ranked(alice, limit=2, offset=2)
    last = alice.client.get(URL, {"limit": 2, "offset": 4})
    # then
    assert ids(response.json()) == [posted[4]["id"], posted[3]["id"]]
    assert 'limit=2&offset=2>; rel="next"' in response["Link"]
    assert ids(second) == [posted[2]["id"], posted[1]["id"]]
    assert ids(last.json()) == [posted[0]["id"]]
    assert "Link" not in last


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "many"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "first"}, "offset"),
    ],
    ids=["limit-word", "limit-zero", "offset-negative", "offset-word"],
)
def test_bad_paging_is_a_422(alice, params, field):
    response = alice.client.get(URL, params)

    assert response.status_code == 422
    assert field in response.json()["details"]


def test_anonymous_is_refused(db):
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert response.json()["error"]


def test_query_count_does_not_grow_with_the_page(alice, bob, carol, django_assert_max_num_queries):
    # given
    alice.follow(bob)
    alice.follow(carol)
    bob.post("one #tag @carol")
    shared = carol.post("shared #shared @bob")
    bob.client.post(f"/api/v1/statuses/{shared['id']}/reblog")
    with django_assert_max_num_queries(20) as few:
        ranked(alice)
    for n in range(10):
        status = carol.post(f"more {n} #tag{n} @bob")
        alice.client.post(f"/api/v1/statuses/{status['id']}/favourite")
        bob.client.post(f"/api/v1/statuses/{status['id']}/reblog")
    # when
    with django_assert_max_num_queries(20) as many:
        timeline = ranked(alice)
    # then
    assert len(timeline) == 12
    assert len(many.captured_queries) == len(few.captured_queries)


# The learned model -------------------------------------------------------------


def test_training_is_scheduled_hourly_and_registered_with_celery(db):
    task = PeriodicTask.objects.get(name="feed: train the ranked timeline model")

    assert task.task == "feed.ranking.train"
    assert (task.interval.every, task.interval.period) == (1, "hours")
    assert task.enabled
    assert task.task in app.tasks


def test_training_without_enough_interactions_keeps_no_model(alice, bob):
    alice.follow(bob)
    status = bob.post("lonely")
    alice.client.post(f"/api/v1/statuses/{status['id']}/favourite")

    result = ranking_train_task.apply()

    assert result.get() is None
    assert RankingModel.objects.count() == 0


def test_the_trained_model_learns_from_interactions_and_changes_the_ranking(
    alice, bob, carol, settings
):
    # given: only the learned score counts; alice always favourites carol, never bob
    settings.FEED_RANKING_WEIGHTS = {
        "recency": 0.0, "engagement": 0.0, "affinity": 0.0, "learned": 1.0,
    }  # fmt: skip
    settings.FEED_RANKING_TRAINING_MIN_EXAMPLES = 5
    alice.follow(bob)
    alice.follow(carol)
    for n in range(8):
        liked = carol.post(f"carol {n}")
        alice.client.post(f"/api/v1/statuses/{liked['id']}/favourite")
        ignored = bob.post(f"bob {n}")
        shift(liked, hours=10 + n)
        shift(ignored, hours=10 + n)
    from_carol = carol.post("carol today")
    from_bob = bob.post("bob today")
    before = ids(ranked(alice))
    # when
    version = ranking_train_task.apply().get()
    after_timeline = ranked(alice)
    after = ids(after_timeline)
    # then
    assert before.index(from_bob["id"]) < before.index(from_carol["id"])
    assert after.index(from_carol["id"]) < after.index(from_bob["id"])
    model = RankingModel.objects.get()
    assert version == model.version == 1
    assert (model.sample_count, model.positive_count) == (18, 8)
    assert model.weights["affinity"] > 0
    assert model.log_loss < 0.6931
    carol_ranking = after_timeline[after.index(from_carol["id"])]["agora_ranking"]
    bob_ranking = after_timeline[after.index(from_bob["id"])]["agora_ranking"]
    assert carol_ranking["model_version"] == 1
    assert carol_ranking["score"] == carol_ranking["components"]["learned"]["value"]
    assert carol_ranking["score"] > bob_ranking["score"] > 0


def test_each_training_run_adds_the_next_version(alice, bob, carol, settings):
    settings.FEED_RANKING_TRAINING_MIN_EXAMPLES = 2
    alice.follow(bob)
    alice.follow(carol)
    for n in range(3):
        liked = carol.post(f"carol {n}")
        alice.client.post(f"/api/v1/statuses/{liked['id']}/favourite")
        bob.post(f"bob {n}")

    first = ranking_train_task.apply().get()
    second = ranking_train_task.apply().get()

    assert (first, second) == (1, 2)
    assert list(RankingModel.objects.values_list("version", flat=True)) == [2, 1]
