"""GET /api/v2/search: accounts, hashtags and statuses, with visibility, blocks and bad input."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.feed.models import ModerationState, Status
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient
from tests.feed.factories import StatusFactory

# The token, the three searches, the statuses with their relations, the viewer's flags,
# the hashtags' history: a fixed number, whatever the results.
QUERIES = 11


def search(member, **params):
    client = member.client if member is not None else APIClient()
    return client.get("/api/v2/search", params)


def ids(entities):
    return [entity["id"] for entity in entities]


# Accounts ------------------------------------------------------------------


def test_accounts_match_a_username_or_display_name_prefix_exact_username_first(alice, bob):
    # given
    UserFactory(username="bobby", display_name="", followers_count=50)
    display = UserFactory(username="zed", display_name="Bob the builder")
    # when
    response = search(alice, q="@bob", type="accounts")
    # then
    assert response.status_code == 200
    body = response.json()
    assert [a["username"] for a in body["accounts"]] == ["bob", "bobby", "zed"]
    assert body["accounts"][2]["id"] == str(display.pk)
    assert body["statuses"] == []
    assert body["hashtags"] == []


def test_accounts_with_this_domain_match_the_local_username(alice, bob, settings):
    response = search(alice, q=f"bob@{settings.AGORA_DOMAIN.split(':')[0]}", type="accounts")

    assert [a["username"] for a in response.json()["accounts"]] == ["bob"]


def test_accounts_following_only_lists_followed_accounts(alice, bob):
    # given
    UserFactory(username="bobcat")
    alice.follow(bob)
    # when
    response = search(alice, q="bob", type="accounts", following="true")
    # then
    assert [a["username"] for a in response.json()["accounts"]] == ["bob"]


def test_accounts_that_block_the_viewer_or_are_blocked_are_not_found(alice, bob, carol):
    # given
    bob.client.post(f"/api/v1/accounts/{alice.id}/block")
    alice.client.post(f"/api/v1/accounts/{carol.id}/block")
    # when
    found_bob = search(alice, q="bob", type="accounts").json()["accounts"]
    found_carol = search(alice, q="carol", type="accounts").json()["accounts"]
    # then
    assert found_bob == []
    assert found_carol == []


def test_disabled_accounts_are_not_found(alice):
    UserFactory(username="ghost", is_active=False)

    assert search(alice, q="ghost").json()["accounts"] == []


# Hashtags ------------------------------------------------------------------


def test_hashtags_match_a_name_prefix_with_a_seven_day_history(alice, bob, settings):
    # given
    bob.post("learning #Django and #djangocon")
    alice.post("more #django")
    bob.post("#python")
    # when
    response = search(alice, q="#djan", type="hashtags")
    # then
    assert response.status_code == 200
    hashtags = response.json()["hashtags"]
    assert [tag["name"] for tag in hashtags] == ["Django", "djangocon"]
    assert hashtags[0]["url"].endswith(f"://{settings.AGORA_DOMAIN}/tags/django")
    history = hashtags[0]["history"]
    assert len(history) == 7
    today = dt.datetime.combine(timezone.now().date(), dt.time.min, tzinfo=dt.UTC)
    assert history[0] == {"day": str(int(today.timestamp())), "uses": "2", "accounts": "2"}
    assert history[1]["uses"] == "0"
    assert int(history[0]["day"]) - int(history[1]["day"]) == 86400


def test_an_exact_hashtag_comes_first(alice, bob):
    bob.post("#catsofagora #cat")

    hashtags = search(alice, q="cat", type="hashtags").json()["hashtags"]

    assert [tag["name"] for tag in hashtags] == ["cat", "catsofagora"]


# Statuses ------------------------------------------------------------------


def test_statuses_match_every_word_newest_first(alice, bob):
    # given
    older = bob.post("the pumpkin soup recipe")
    newer = bob.post("Pumpkin SOUP again")
    bob.post("only soup")
    # when
    response = search(alice, q="pumpkin soup", type="statuses")
    # then
    assert response.status_code == 200
    assert ids(response.json()["statuses"]) == [newer["id"], older["id"]]
    assert response.json()["accounts"] == []


def test_statuses_search_spoiler_text_too(alice, bob):
    status = bob.post("the ending", spoiler_text="film spoilers")

    assert ids(search(alice, q="spoilers", type="statuses").json()["statuses"]) == [status["id"]]


def test_a_private_status_is_found_by_followers_only(alice, bob, carol):
    # given
    alice.follow(bob)
    private = bob.post("secret pumpkin plans", visibility="private")
    # when
    as_follower = search(alice, q="pumpkin", type="statuses").json()["statuses"]
    as_stranger = search(carol, q="pumpkin", type="statuses").json()["statuses"]
    # then
    assert ids(as_follower) == [private["id"]]
    assert as_stranger == []


def test_a_direct_status_is_found_by_those_mentioned_only(alice, bob, carol):
    direct = bob.post("@alice the pumpkin is ready", visibility="direct")

    assert ids(search(alice, q="pumpkin", type="statuses").json()["statuses"]) == [direct["id"]]
    assert search(carol, q="pumpkin", type="statuses").json()["statuses"] == []


def test_statuses_of_blocked_blocking_and_muted_accounts_are_not_found(alice, bob, carol):
    # given
    dave = UserFactory(username="dave")
    bob.post("pumpkin from bob")
    carol.post("pumpkin from carol")
    StatusFactory(account=dave, text="pumpkin from dave")
    bob.client.post(f"/api/v1/accounts/{alice.id}/block")
    alice.client.post(f"/api/v1/accounts/{carol.id}/block")
    alice.client.post(f"/api/v1/accounts/{dave.pk}/mute")
    # when
    response = search(alice, q="pumpkin", type="statuses")
    # then
    assert response.json()["statuses"] == []


def test_removed_and_hidden_statuses_are_not_found(alice, bob):
    # given
    removed = bob.post("pumpkin removed")
    hidden = bob.post("pumpkin hidden")
    Status.objects.filter(pk=removed["id"]).update(moderation_state=ModerationState.REMOVED)
    Status.objects.filter(pk=hidden["id"]).update(moderation_state=ModerationState.HIDDEN)
    # when
    as_other = search(alice, q="pumpkin", type="statuses").json()["statuses"]
    as_author = search(bob, q="pumpkin", type="statuses").json()["statuses"]
    # then
    assert as_other == []
    assert ids(as_author) == [hidden["id"]]


def test_reblogs_are_not_search_results_their_originals_are(alice, bob, carol):
    original = bob.post("pumpkin original")
    carol.client.post(f"/api/v1/statuses/{original['id']}/reblog")

    assert ids(search(alice, q="pumpkin", type="statuses").json()["statuses"]) == [original["id"]]


def test_account_id_narrows_statuses_to_one_author(alice, bob, carol):
    mine = bob.post("pumpkin by bob")
    carol.post("pumpkin by carol")

    response = search(alice, q="pumpkin", type="statuses", account_id=bob.id)

    assert ids(response.json()["statuses"]) == [mine["id"]]


def test_anonymous_search_finds_accounts_and_hashtags_but_no_statuses(bob):
    bob.post("#pumpkins bob")

    body = search(None, q="bob").json()

    assert [a["username"] for a in body["accounts"]] == ["bob"]
    assert body["statuses"] == []
    assert search(None, q="pumpkins").json()["hashtags"][0]["name"] == "pumpkins"


@pytest.mark.parametrize(
    "params",
    [{"q": "bob", "resolve": "true"}, {"q": "bob", "offset": "5"}],
    ids=["resolve", "offset"],
)
def test_anonymous_resolve_or_offset_is_refused(bob, params):
    response = search(None, **params)

    assert response.status_code == 401
    assert "authentication" in response.json()["error"]


def test_a_local_status_url_resolves_to_that_status_when_visible(alice, bob, carol, settings):
    # given
    alice.follow(bob)
    private = bob.post("for followers", visibility="private")
    url = f"http://{settings.AGORA_DOMAIN}/@bob/{private['id']}"
    # when
    as_follower = search(alice, q=url, resolve="true").json()
    as_stranger = search(carol, q=url, resolve="true").json()
    # then
    assert ids(as_follower["statuses"]) == [private["id"]]
    assert as_follower["accounts"] == []
    assert as_stranger["statuses"] == []


def test_a_local_profile_url_resolves_to_that_account(alice, bob, settings):
    UserFactory(username="bobby")

    body = search(alice, q=f"http://{settings.AGORA_DOMAIN}/@bob").json()

    assert [a["username"] for a in body["accounts"]] == ["bob"]


# Paging and bad input --------------------------------------------------------


def test_limit_and_offset_page_through_results(alice, bob):
    # given
    posted = [bob.post(f"pumpkin {n}")["id"] for n in range(5)]
    # when
    first = search(alice, q="pumpkin", type="statuses", limit=2).json()["statuses"]
    second = search(alice, q="pumpkin", type="statuses", limit=2, offset=2).json()["statuses"]
    # then
    assert ids(first) == [posted[4], posted[3]]
    assert ids(second) == [posted[2], posted[1]]


def test_limit_defaults_to_20_and_is_capped_at_40(alice):
    for n in range(45):
        UserFactory(username=f"many{n:02d}")

    default = search(alice, q="many", type="accounts").json()["accounts"]
    capped = search(alice, q="many", type="accounts", limit=100).json()["accounts"]

    assert len(default) == 20
    assert len(capped) == 40


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x", "type": "people"}, "type"),
        ({"q": "x", "limit": "ten"}, "limit"),
        ({"q": "x", "limit": "0"}, "limit"),
        ({"q": "x", "limit": "-3"}, "limit"),
        ({"q": "x", "offset": "-1"}, "offset"),
        ({"q": "x", "offset": "abc"}, "offset"),
        ({"q": "x", "offset": "99999999"}, "offset"),
        ({"q": "x", "account_id": "bob"}, "account_id"),
        ({"q": "   "}, "q"),
        ({}, "q"),
    ],
    ids=[
        "unknown-type", "limit-word", "limit-zero", "limit-negative", "offset-negative",
        "offset-word", "offset-huge", "account-id-word", "blank-q", "no-q",
    ],
)  # fmt: skip
def test_bad_input_is_a_422_naming_the_field(alice, params, field):
    statuses_before = Status.objects.count()

    response = search(alice, **params)

    assert response.status_code == 422
    assert field in response.json()["details"]
    assert response.json()["error"]
    assert Status.objects.count() == statuses_before


def test_a_token_without_read_scope_is_refused(bob, token_for):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(bob.account, scope='write')}")

    response = client.get("/api/v2/search", {"q": "bob"})

    assert response.status_code == 403


def test_query_count_does_not_grow_with_results(alice, bob, django_assert_max_num_queries):
    # given
    for n in range(3):
        bob.post(f"pumpkin #pumpkin{n} @alice")
    search(alice, q="pumpkin")
    # when
    with django_assert_max_num_queries(QUERIES) as few:
        search(alice, q="pumpkin")
    for n in range(3, 15):
        bob.post(f"pumpkin #pumpkin{n} @alice")
        UserFactory(username=f"pumpkin{n}")
    with django_assert_max_num_queries(QUERIES) as many:
        response = search(alice, q="pumpkin")
    # then
    body = response.json()
    assert len(body["statuses"]) == 15
    assert len(body["hashtags"]) == 15
    assert len(body["accounts"]) == 12
    assert len(many.captured_queries) == len(few.captured_queries)


def test_old_statuses_are_still_found(alice, bob):
    old = bob.post("ancient pumpkin")
    Status.objects.filter(pk=old["id"]).update(created_at=timezone.now() - dt.timedelta(days=400))

    assert ids(search(alice, q="ancient", type="statuses").json()["statuses"]) == [old["id"]]
