"""Search on PostgreSQL: full-text matching and ranking, the GIN index, and the trained model."""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from apps.feed.models import Status
from apps.feed.selectors.search import STATUS_SEARCH_VECTOR
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient
from tests.feed.factories import FollowFactory, StatusFactory

pytestmark = pytest.mark.integration


def client_for(user) -> APIClient:
    client = APIClient()
    token = AccessTokenFactory(user=user, scope="read write follow").token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_the_full_text_index_exists_and_serves_status_searches(db):
    # given
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'feed_status_search_fts'")
        (definition,) = cursor.fetchone()
    query = (
        Status.objects.annotate(document=STATUS_SEARCH_VECTOR)
        .filter(document=SearchQuery("pumpkin", config="simple", search_type="websearch"))
        .values("id")
    )
    # when the planner may not scan the table
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # then
    assert "USING gin" in definition
    assert "feed_status_search_fts" in plan


def test_full_text_search_ranks_better_matches_first_and_respects_visibility(db):
    # given
    viewer = UserFactory(username="viewer")
    author = UserFactory(username="author")
    stranger = UserFactory(username="stranger")
    FollowFactory(account=viewer, target=author)
    weak = StatusFactory(account=author, text="pumpkin and a long story about other things")
    strong = StatusFactory(account=author, text="pumpkin pumpkin pumpkin soup")
    private = StatusFactory(account=author, text="private pumpkin", visibility="private")
    StatusFactory(account=author, text="nothing to see")
    # when
    as_follower = client_for(viewer).get("/api/v2/search", {"q": "pumpkin", "type": "statuses"})
    as_stranger = client_for(stranger).get("/api/v2/search", {"q": "pumpkin", "type": "statuses"})
    phrase = client_for(viewer).get("/api/v2/search", {"q": '"pumpkin soup" -story'})
    # then
    found = [s["id"] for s in as_follower.json()["statuses"]]
    assert found[0] == str(strong.pk)
    assert sorted(found) == sorted([str(weak.pk), str(strong.pk), str(private.pk)])
    assert str(private.pk) not in [s["id"] for s in as_stranger.json()["statuses"]]
    assert [s["id"] for s in phrase.json()["statuses"]] == [str(strong.pk)]


def test_search_and_trends_answer_on_postgresql(db):
    user = UserFactory(username="pguser")
    client = client_for(user)
    client.post("/api/v1/statuses", {"status": "#postgres rocks"}, format="json")

    tags = APIClient().get("/api/v1/trends/tags").json()
    hashtags = client.get("/api/v2/search", {"q": "#postg"}).json()["hashtags"]

    assert [t["name"] for t in tags] == ["postgres"]
    assert tags[0]["history"][0]["uses"] == "1"
    assert [t["name"] for t in hashtags] == ["postgres"]
