"""Account endpoints Mastodon apps call beyond follows, blocks and mutes (issue 12): search,
familiar followers, notes, removing a follower, endorsements, profile images, suggestions,
domain blocks, and several statuses by id."""

import io

import pytest
from django.urls import resolve
from PIL import Image

from apps.feed.api import accounts_extra
from apps.feed.models import (
    AccountDomainBlock,
    AccountNote,
    AccountPin,
    Block,
    Follow,
    Mute,
    SuggestionDismissal,
)
from tests.accounts.factories import UserFactory
from tests.feed.conftest import Member


def relationship(member, other) -> dict:
    response = member.client.get(f"/api/v1/accounts/relationships?id[]={other.id}")
    assert response.status_code == 200, response.content
    return response.json()[0]


def ids(body) -> list[str]:
    return [item["id"] for item in body]


# Search -----------------------------------------------------------------------------


def test_account_search_reaches_its_own_view_not_the_account_route():
    assert resolve("/api/v1/accounts/search").func.view_class is accounts_extra.AccountSearchView
    assert (
        resolve("/api/v1/accounts/familiar_followers").func.view_class
        is accounts_extra.FamiliarFollowersView
    )


def test_account_search_finds_by_prefix_and_leaves_out_blocked(alice, bob, carol):
    Member("bobby")
    Block.objects.create(account=carol.account, target=alice.account)

    found = alice.client.get("/api/v1/accounts/search?q=bo&limit=5")
    blocked = alice.client.get("/api/v1/accounts/search?q=carol")

    assert found.status_code == 200, found.content
    assert [a["username"] for a in found.json()] == ["bob", "bobby"]
    assert blocked.json() == []


def test_account_search_following_keeps_only_followed_accounts(alice, bob):
    Member("bobby")
    alice.follow(bob)

    response = alice.client.get("/api/v1/accounts/search?q=bob&following=true")

    assert [a["username"] for a in response.json()] == ["bob"]


@pytest.mark.parametrize("query", ["", "?q=", "?q=%20"], ids=["absent", "empty", "blank"])
def test_account_search_without_a_query_is_empty(alice, query):
    response = alice.client.get(f"/api/v1/accounts/search{query}")

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("param", ["limit=abc", "offset=-1", "limit=0"])
def test_account_search_refuses_bad_paging(alice, param):
    response = alice.client.get(f"/api/v1/accounts/search?q=a&{param}")

    assert response.status_code == 422


# Familiar followers -----------------------------------------------------------------


def test_familiar_followers_are_follows_of_the_viewer_following_each_account(alice, bob, carol):
    dave = Member("dave")
    alice.follow(carol)
    alice.follow(dave)
    carol.follow(bob)
    dave.follow(bob)
    bob.follow(carol)  # bob follows carol, but alice does not follow bob

    response = alice.client.get(
        f"/api/v1/accounts/familiar_followers?id[]={bob.id}&id[]={carol.id}&id[]=999999"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert [entry["id"] for entry in body] == [bob.id, carol.id]
    assert sorted(a["username"] for a in body[0]["accounts"]) == ["carol", "dave"]
    assert body[1]["accounts"] == []


def test_familiar_followers_hide_a_hidden_network(alice, bob, carol):
    alice.follow(carol)
    carol.follow(bob)
    bob.account.hide_collections = True
    bob.account.save()

    response = alice.client.get(f"/api/v1/accounts/familiar_followers?id[]={bob.id}")

    assert response.json() == [{"id": bob.id, "accounts": []}]


def test_familiar_followers_refuse_what_is_not_an_id(alice):
    response = alice.client.get("/api/v1/accounts/familiar_followers?id[]=abc")

    assert response.status_code == 422


def test_familiar_followers_cost_the_same_for_one_account_and_many(
    alice, django_assert_max_num_queries
):
    targets = [Member(f"t{n}") for n in range(8)]
    for target in targets:
        follower = Member(f"f{target.id}")
        alice.follow(follower)
        follower.follow(target)
    query = "&".join(f"id[]={t.id}" for t in targets)

    with django_assert_max_num_queries(6):
        response = alice.client.get(f"/api/v1/accounts/familiar_followers?{query}")

    assert all(len(entry["accounts"]) == 1 for entry in response.json())


# Notes ------------------------------------------------------------------------------


def test_a_note_shows_in_the_relationship_and_only_to_its_writer(alice, bob):
    response = alice.client.post(f"/api/v1/accounts/{bob.id}/note", {"comment": "met at FOSDEM"})

    assert response.status_code == 200, response.content
    assert response.json()["note"] == "met at FOSDEM"
    assert relationship(alice, bob)["note"] == "met at FOSDEM"
    assert relationship(bob, alice)["note"] == ""


def test_an_empty_note_removes_it(alice, bob):
    alice.client.post(f"/api/v1/accounts/{bob.id}/note", {"comment": "x"}, format="json")

    response = alice.client.post(f"/api/v1/accounts/{bob.id}/note", {"comment": ""}, format="json")

    assert response.json()["note"] == ""
    assert not AccountNote.objects.exists()


def test_a_note_too_long_is_refused_and_nothing_is_written(alice, bob):
    response = alice.client.post(
        f"/api/v1/accounts/{bob.id}/note", {"comment": "x" * 2001}, format="json"
    )

    assert response.status_code == 422
    assert "comment" in response.json()["details"]
    assert not AccountNote.objects.exists()


def test_a_note_on_an_unknown_account_is_a_404(alice):
    response = alice.client.post("/api/v1/accounts/999999/note", {"comment": "x"})

    assert response.status_code == 404
    assert not AccountNote.objects.exists()


# Removing a follower ----------------------------------------------------------------


def test_removing_a_follower_ends_its_follow_and_the_counts(alice, bob):
    bob.follow(alice)

    response = alice.client.post(f"/api/v1/accounts/{bob.id}/remove_from_followers")

    assert response.status_code == 200, response.content
    assert response.json()["followed_by"] is False
    assert not Follow.objects.exists()
    alice.account.refresh_from_db()
    bob.account.refresh_from_db()
    assert (alice.account.followers_count, bob.account.following_count) == (0, 0)


def test_removing_an_unknown_follower_is_a_404(alice):
    assert alice.client.post("/api/v1/accounts/999999/remove_from_followers").status_code == 404


# Endorsements -----------------------------------------------------------------------


@pytest.mark.parametrize(("pin", "unpin"), [("pin", "unpin"), ("endorse", "unendorse")])
def test_endorsing_a_followed_account_lists_it_until_unendorsed(alice, bob, pin, unpin):
    alice.follow(bob)

    pinned = alice.client.post(f"/api/v1/accounts/{bob.id}/{pin}")
    own_list = alice.client.get("/api/v1/endorsements")
    public_list = bob.client.get(f"/api/v1/accounts/{alice.id}/endorsements")
    unpinned = alice.client.post(f"/api/v1/accounts/{bob.id}/{unpin}")

    assert pinned.status_code == 200, pinned.content
    assert pinned.json()["endorsed"] is True
    assert ids(own_list.json()) == [bob.id]
    assert ids(public_list.json()) == [bob.id]
    assert unpinned.json()["endorsed"] is False
    assert alice.client.get("/api/v1/endorsements").json() == []


@pytest.mark.parametrize(
    "ending", ["unfollow", "block", "removed-from-followers"], ids=lambda ending: ending
)
def test_an_endorsement_ends_with_the_follow(alice, bob, ending):
    alice.follow(bob)
    alice.client.post(f"/api/v1/accounts/{bob.id}/pin")

    if ending == "removed-from-followers":
        bob.client.post(f"/api/v1/accounts/{alice.id}/remove_from_followers")
    else:
        alice.client.post(f"/api/v1/accounts/{bob.id}/{ending}")

    assert relationship(alice, bob)["endorsed"] is False
    assert not AccountPin.objects.exists()


def test_endorsing_an_account_not_followed_is_refused(alice, bob):
    response = alice.client.post(f"/api/v1/accounts/{bob.id}/pin")

    assert response.status_code == 422
    assert not AccountPin.objects.exists()


def test_endorsing_an_unknown_account_is_a_404(alice):
    assert alice.client.post("/api/v1/accounts/999999/pin").status_code == 404
    assert not AccountPin.objects.exists()


def test_endorsements_page_with_a_link_header_at_a_flat_cost(alice, django_assert_max_num_queries):
    for n in range(6):
        other = Member(f"e{n}")
        alice.follow(other)
        alice.client.post(f"/api/v1/accounts/{other.id}/pin")

    with django_assert_max_num_queries(5):
        first = alice.client.get("/api/v1/endorsements?limit=4")
    second = alice.client.get(first["Link"].split(";")[0].strip("<>"))

    assert len(first.json()) == 4
    assert len(second.json()) == 2
    assert set(ids(first.json())).isdisjoint(ids(second.json()))


# Profile images ---------------------------------------------------------------------


def png() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (40, 40), "red").save(data, format="PNG")
    data.seek(0)
    data.name = "me.png"
    return data


@pytest.mark.parametrize("image", ["avatar", "header"])
def test_deleting_a_profile_image_brings_back_the_default(
    alice, image, django_capture_on_commit_callbacks
):
    uploaded = alice.client.patch(
        "/api/v1/accounts/update_credentials", {image: png()}, format="multipart"
    )
    assert uploaded.status_code == 200, uploaded.content
    alice.account.refresh_from_db()
    stored = getattr(alice.account, image)
    storage, name = stored.storage, stored.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice.client.delete(f"/api/v1/profile/{image}")

    assert response.status_code == 200, response.content
    assert response.json()[image].endswith(f"accounts/{image}.png")
    assert "source" in response.json()
    alice.account.refresh_from_db()
    assert not getattr(alice.account, image)
    assert not storage.exists(name)


def test_deleting_a_missing_profile_image_changes_nothing(alice):
    response = alice.client.delete("/api/v1/profile/avatar")

    assert response.status_code == 200
    assert response.json()["id"] == alice.id


# Suggestions ------------------------------------------------------------------------


@pytest.fixture
def crowd(alice):
    """Accounts with 3, 2, 1 and 0 followers, and one alice follows, blocks, mutes, hides."""
    popular, known, quiet, new = (Member(name) for name in ("popular", "known", "quiet", "new"))
    followed, blocked, muted, hidden = (
        UserFactory(username=n, followers_count=9) for n in ("fol", "blk", "mut", "hid")
    )
    for account, count in ((popular, 3), (known, 2), (quiet, 1)):
        account.account.followers_count = count
        account.account.save()
    Follow.objects.create(account=alice.account, target=followed)
    Block.objects.create(account=blocked, target=alice.account)
    Mute.objects.create(account=alice.account, target=muted)
    hidden.discoverable = False
    hidden.save()
    return popular, known, quiet, new


def test_suggestions_are_the_most_followed_accounts_not_followed_blocked_or_muted(alice, crowd):
    popular, known, quiet, new = crowd

    v1 = alice.client.get("/api/v1/suggestions?limit=3")
    v2 = alice.client.get("/api/v2/suggestions")

    assert v1.status_code == 200, v1.content
    assert ids(v1.json()) == [popular.id, known.id, quiet.id]
    assert [s["account"]["id"] for s in v2.json()][:4] == [popular.id, known.id, quiet.id, new.id]
    assert alice.id not in [s["account"]["id"] for s in v2.json()]
    assert v2.json()[0]["source"] == "global"


def test_a_dismissed_suggestion_is_not_suggested_again(alice, crowd):
    popular = crowd[0]

    response = alice.client.delete(f"/api/v1/suggestions/{popular.id}")

    assert response.status_code == 200, response.content
    assert popular.id not in ids(alice.client.get("/api/v1/suggestions").json())
    assert SuggestionDismissal.objects.count() == 1


def test_dismissing_an_unknown_suggestion_is_a_404(alice):
    assert alice.client.delete("/api/v1/suggestions/999999").status_code == 404


def test_suggestions_cost_the_same_however_many(alice, crowd, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        alice.client.get("/api/v2/suggestions?limit=40")


# Domain blocks ----------------------------------------------------------------------


def test_domain_blocks_are_stored_listed_newest_first_and_removed(alice, bob):
    for domain in ("spam.example", "Trolls.Example.", "spam.example"):
        response = alice.client.post("/api/v1/domain_blocks", {"domain": domain})
        assert response.status_code == 200, response.content
        assert response.json() == {}

    listed = alice.client.get("/api/v1/domain_blocks")
    removed = alice.client.delete("/api/v1/domain_blocks?domain=spam.example")

    assert listed.json() == ["trolls.example", "spam.example"]
    assert 'rel="next"' in listed["Link"]
    assert removed.status_code == 200, removed.content
    assert alice.client.get("/api/v1/domain_blocks").json() == ["trolls.example"]
    assert bob.client.get("/api/v1/domain_blocks").json() == []
    # Agora's own accounts have no domain: a domain block never matches one of them.
    assert relationship(alice, bob)["domain_blocking"] is False


@pytest.mark.parametrize(
    "body", [{}, {"domain": ""}, {"domain": "not a domain"}, {"domain": "-bad-.example"}],
    ids=["missing", "empty", "spaces", "bad-label"],
)  # fmt: skip
@pytest.mark.parametrize("method", ["post", "delete"])
def test_a_missing_or_bad_domain_is_refused_and_nothing_is_written(alice, body, method):
    AccountDomainBlock.objects.create(account=alice.account, domain="kept.example")

    response = getattr(alice.client, method)("/api/v1/domain_blocks", body, format="json")

    assert response.status_code == 422
    assert "domain" in response.json()["details"]
    assert list(AccountDomainBlock.objects.values_list("domain", flat=True)) == ["kept.example"]


# Several statuses at once -----------------------------------------------------------


def test_statuses_by_id_answers_only_the_visible_ones_in_the_order_asked(alice, bob, carol):
    public = bob.post("public")
    private = bob.post("followers only", visibility="private")
    own = alice.post("mine")
    blocked = carol.post("blocked")
    Block.objects.create(account=carol.account, target=alice.account)
    asked = [own["id"], private["id"], "999999", blocked["id"], public["id"], own["id"]]

    response = alice.client.get("/api/v1/statuses?" + "&".join(f"id[]={i}" for i in asked))
    anonymous = Member("anon").client
    anonymous.credentials()
    anonymous_response = anonymous.get(f"/api/v1/statuses?id[]={public['id']}&id[]={own['id']}")

    assert response.status_code == 200, response.content
    assert ids(response.json()) == [own["id"], public["id"]]
    assert ids(anonymous_response.json()) == [public["id"], own["id"]]


def test_statuses_by_id_refuses_more_than_twenty_and_bad_ids(alice):
    many = "&".join(f"id[]={n}" for n in range(1, 22))

    assert alice.client.get(f"/api/v1/statuses?{many}").status_code == 422
    assert alice.client.get("/api/v1/statuses?id[]=abc").status_code == 422
    assert alice.client.get("/api/v1/statuses").json() == []


def test_statuses_by_id_cost_the_same_for_one_and_twenty(alice, bob, django_assert_max_num_queries):
    posted = [bob.post(f"n{n}") for n in range(20)]
    query = "&".join(f"id[]={s['id']}" for s in posted)

    with django_assert_max_num_queries(8):
        response = alice.client.get(f"/api/v1/statuses?{query}")

    assert len(response.json()) == 20


def test_posting_still_works_on_the_same_path(alice):
    status = alice.post("still posting")

    assert status["content"] == "<p>still posting</p>"


def test_domain_blocks_and_account_search_cost_the_same_however_many(
    alice, django_assert_max_num_queries
):
    AccountDomainBlock.objects.bulk_create(
        [AccountDomainBlock(account=alice.account, domain=f"d{n}.example") for n in range(30)]
    )
    for n in range(12):
        Member(f"searched{n}")

    with django_assert_max_num_queries(3):
        blocks = alice.client.get("/api/v1/domain_blocks")
    with django_assert_max_num_queries(4):
        found = alice.client.get("/api/v1/accounts/search?q=searched&resolve=true")

    assert len(blocks.json()) == 30
    assert len(found.json()) == 12
