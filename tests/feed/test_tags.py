"""Hashtag endpoints (issue 12): a tag, following one (and what it brings into home), the
followed tags, featured tags."""

import pytest

from apps.feed.models import FeaturedTag, Tag, TagFollow
from tests.api_client import APIClient


def home_ids(member) -> list[str]:
    response = member.client.get("/api/v1/timelines/home")
    assert response.status_code == 200, response.content
    return [status["id"] for status in response.json()]


# A tag ------------------------------------------------------------------------------


def test_a_used_tag_answers_its_history_and_whether_the_viewer_follows_it(alice, bob):
    bob.post("hello #Django")

    response = alice.client.get("/api/v1/tags/django")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Django"
    assert body["url"].endswith("/tags/django")
    assert body["id"] == str(Tag.objects.get().pk)
    assert len(body["history"]) == 7
    assert body["history"][0]["uses"] == "1"
    assert (body["following"], body["featuring"]) == (False, False)


def test_a_tag_nobody_used_is_answered_without_being_created(alice):
    response = alice.client.get("/api/v1/tags/brandnew")

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "brandnew"
    assert not Tag.objects.exists()


def test_an_anonymous_viewer_sees_the_tag_without_relations(alice):
    alice.post("#open")

    response = APIClient().get("/api/v1/tags/open")

    assert response.status_code == 200, response.content
    assert "following" not in response.json()


@pytest.mark.parametrize("name", ["no-dash", "a.b", "%20", "x" * 101])
def test_a_name_that_is_no_hashtag_is_a_404_and_follows_nothing(alice, name):
    shown = alice.client.get(f"/api/v1/tags/{name}")
    followed = alice.client.post(f"/api/v1/tags/{name}/follow")

    assert (shown.status_code, followed.status_code) == (404, 404)
    assert not Tag.objects.exists()
    assert not TagFollow.objects.exists()


# Following tags ---------------------------------------------------------------------


def test_following_a_tag_creates_it_and_lists_it_until_unfollowed(alice):
    followed = alice.client.post("/api/v1/tags/Cats/follow")
    again = alice.client.post("/api/v1/tags/cats/follow")
    listed = alice.client.get("/api/v1/followed_tags")
    unfollowed = alice.client.post("/api/v1/tags/cats/unfollow")

    assert followed.status_code == 200, followed.content
    assert followed.json()["following"] is True
    assert again.json()["id"] == followed.json()["id"]
    assert [t["name"] for t in listed.json()] == ["Cats"]
    assert listed.json()[0]["following"] is True
    assert unfollowed.json()["following"] is False
    assert alice.client.get("/api/v1/followed_tags").json() == []
    assert TagFollow.objects.count() == 0


def test_unfollowing_a_tag_never_followed_is_harmless(alice):
    response = alice.client.post("/api/v1/tags/nothing/unfollow")

    assert response.status_code == 200
    assert response.json()["following"] is False
    assert not Tag.objects.exists()


def test_followed_tags_page_with_a_link_header_at_a_flat_cost(alice, django_assert_max_num_queries):
    for n in range(7):
        alice.client.post(f"/api/v1/tags/tag{n}/follow")

    with django_assert_max_num_queries(6):
        first = alice.client.get("/api/v1/followed_tags?limit=5")
    second = alice.client.get(first["Link"].split(";")[0].strip("<>"))

    assert [t["name"] for t in first.json()] == [f"tag{n}" for n in (6, 5, 4, 3, 2)]
    assert [t["name"] for t in second.json()] == ["tag1", "tag0"]


def test_a_followed_tag_brings_public_statuses_into_home(alice, bob, carol):
    alice.client.post("/api/v1/tags/python/follow")
    public = bob.post("new release #Python")
    unlisted = bob.post("quiet #python", visibility="unlisted")
    private = bob.post("friends #python", visibility="private")
    untagged = bob.post("no tag here")
    reblog = carol.client.post(f"/api/v1/statuses/{public['id']}/reblog").json()

    shown = home_ids(alice)

    assert public["id"] in shown
    assert {unlisted["id"], private["id"], untagged["id"], reblog["id"]}.isdisjoint(shown)


def test_a_followed_tag_does_not_bring_statuses_of_blocked_or_muted_accounts(alice, bob, carol):
    alice.client.post("/api/v1/tags/python/follow")
    alice.client.post(f"/api/v1/accounts/{bob.id}/mute")
    carol.client.post(f"/api/v1/accounts/{alice.id}/block")
    muted = bob.post("#python from bob")
    blocking = carol.post("#python from carol")

    shown = home_ids(alice)

    assert {muted["id"], blocking["id"]}.isdisjoint(shown)


def test_unfollowing_the_tag_takes_its_statuses_out_of_home(alice, bob):
    alice.client.post("/api/v1/tags/python/follow")
    status = bob.post("#python")
    alice.client.post("/api/v1/tags/python/unfollow")

    assert status["id"] not in home_ids(alice)


# Featured tags ----------------------------------------------------------------------


def test_featuring_from_the_tag_and_unfeaturing_it(alice):
    featured = alice.client.post("/api/v1/tags/Books/feature")
    listed = alice.client.get("/api/v1/featured_tags")
    unfeatured = alice.client.post("/api/v1/tags/books/unfeature")

    assert featured.status_code == 200, featured.content
    assert (featured.json()["featuring"], featured.json()["following"]) == (True, False)
    assert [t["name"] for t in listed.json()] == ["Books"]
    assert unfeatured.json()["featuring"] is False
    assert not FeaturedTag.objects.exists()


def test_featuring_needs_the_accounts_scope_not_the_follows_one(alice, token_for):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(alice.account, 'write:follows')}")

    refused = client.post("/api/v1/tags/books/feature")
    followed = client.post("/api/v1/tags/books/follow")

    assert (refused.status_code, followed.status_code) == (403, 200)
    assert not FeaturedTag.objects.exists()


def test_featuring_a_tag_shows_it_with_the_accounts_use_of_it(alice, bob):
    alice.post("one #Rust")
    alice.post("two #rust", visibility="unlisted")
    alice.post("hidden #rust", visibility="private")
    bob.post("not alice's #rust")

    created = alice.client.post("/api/v1/featured_tags", {"name": "#rust"})
    own = alice.client.get("/api/v1/featured_tags")
    public = bob.client.get(f"/api/v1/accounts/{alice.id}/featured_tags")

    assert created.status_code == 200, created.content
    body = created.json()
    assert body["name"] == "Rust"
    assert body["statuses_count"] == 2
    assert body["url"].endswith("/@alice/tagged/rust")
    assert len(body["last_status_at"]) == len("2026-01-01")
    assert own.json() == [body]
    assert public.json() == [body]
    assert alice.client.post("/api/v1/featured_tags", {"name": "rust"}).json() == body
    assert FeaturedTag.objects.count() == 1


def test_a_featured_tag_nobody_used_counts_zero(alice):
    response = alice.client.post("/api/v1/featured_tags", {"name": "fresh"}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["statuses_count"], response.json()["last_status_at"]) == (0, None)


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "not a tag"}, {"name": "#"}])
def test_a_missing_or_bad_featured_tag_name_is_refused(alice, body):
    response = alice.client.post("/api/v1/featured_tags", body, format="json")

    assert response.status_code == 422
    assert not FeaturedTag.objects.exists()
    assert not Tag.objects.exists()


def test_at_most_ten_tags_are_featured(alice):
    for n in range(10):
        assert alice.client.post("/api/v1/featured_tags", {"name": f"t{n}"}).status_code == 200

    response = alice.client.post("/api/v1/featured_tags", {"name": "eleventh"})

    assert response.status_code == 422
    assert FeaturedTag.objects.count() == 10
    assert not Tag.objects.filter(name="eleventh").exists()


def test_deleting_a_featured_tag_is_its_owners_only(alice, bob):
    featured = alice.client.post("/api/v1/featured_tags", {"name": "mine"}).json()

    by_bob = bob.client.delete(f"/api/v1/featured_tags/{featured['id']}")
    by_alice = alice.client.delete(f"/api/v1/featured_tags/{featured['id']}")
    again = alice.client.delete(f"/api/v1/featured_tags/{featured['id']}")

    assert by_bob.status_code == 404
    assert (by_alice.status_code, by_alice.json()) == (200, {})
    assert again.status_code == 404
    assert not FeaturedTag.objects.exists()


def test_featured_tag_suggestions_are_recent_tags_not_yet_featured(alice, bob):
    alice.post("#old")
    alice.post("#featured")
    alice.post("#recent")
    bob.post("#bobs")
    alice.client.post("/api/v1/featured_tags", {"name": "featured"})

    response = alice.client.get("/api/v1/featured_tags/suggestions")

    assert response.status_code == 200, response.content
    assert [t["name"] for t in response.json()] == ["recent", "old"]


def test_featured_tags_cost_the_same_however_many(alice, bob, django_assert_max_num_queries):
    for n in range(8):
        alice.post(f"#f{n}")
        alice.client.post("/api/v1/featured_tags", {"name": f"f{n}"})

    with django_assert_max_num_queries(5):
        response = bob.client.get(f"/api/v1/accounts/{alice.id}/featured_tags")

    assert [t["statuses_count"] for t in response.json()] == [1] * 8


def test_featured_tags_of_an_unknown_account_are_a_404(alice):
    assert alice.client.get("/api/v1/accounts/999999/featured_tags").status_code == 404


def test_literal_featured_tag_routes_are_not_taken_for_ids():
    from django.urls import resolve

    from apps.feed.api import tags

    view = resolve("/api/v1/featured_tags/suggestions").func.view_class
    assert view is tags.FeaturedTagSuggestionsView


@pytest.mark.parametrize(
    ("visibility", "is_reblog", "expected"),
    [
        ("public", False, [1, 2, 7]),
        ("unlisted", False, [1, 2]),
        ("private", False, [1, 2]),
        ("public", True, [1, 2]),
        ("direct", False, [1, 9]),
    ],
    ids=["public", "unlisted", "private", "reblog", "direct"],
)
def test_a_tags_followers_are_in_the_audience_of_public_originals_only(
    visibility, is_reblog, expected
):
    from apps.feed.fanout import audience

    # given author 1, follower 2, mentioned 9, and 7 following one of the status's hashtags
    feeds = audience.audience_ids(
        author_id=1,
        visibility=visibility,
        is_reblog=is_reblog,
        follower_rows=[(2, True)],
        mentioned_ids=[9],
        tag_follower_ids=[7],
    )

    assert feeds == expected
