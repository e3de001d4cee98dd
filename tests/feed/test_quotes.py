"""Quotes as Mastodon 4.5 has them: quoting with ``quoted_status_id``, the Quote entity in
``quote``, ``quote_approval`` per viewer, a status's quotes, revoking one, a status's quote
policy, the ``quote`` and ``quoted_update`` notifications; and the privacy rule: a viewer
who may not see the quoted status is shown ``unauthorized``, never the status, on every
endpoint that renders statuses."""

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.feed import consumers
from apps.feed.models import Notification, Quote, Status
from tests.feed.conftest import Member

pytestmark = pytest.mark.django_db

NOT_QUOTABLE = {"error": "The post you are trying to quote does not appear to exist."}


@pytest.fixture
def dave(db):
    return Member("dave")


def quote(member: Member, quoted_id: str, text: str = "look at this", **extra):
    return member.client.post(
        "/api/v1/statuses", {"status": text, "quoted_status_id": quoted_id, **extra}, format="json"
    )


def status_of(member: Member, status_id: str) -> dict:
    response = member.client.get(f"/api/v1/statuses/{status_id}")
    assert response.status_code == 200, response.json()
    return response.json()


def unauthorized(entity: dict) -> bool:
    return entity["quote"] == {"state": "unauthorized", "quoted_status": None}


# Quoting ---------------------------------------------------------------------------------


def test_quoting_a_public_status_shows_it_in_the_quote_and_notifies_its_author(alice, bob):
    original = alice.post("original thought")

    response = quote(bob, original["id"])

    assert response.status_code == 200
    body = response.json()
    assert body["quote"]["state"] == "accepted"
    assert body["quote"]["quoted_status"]["id"] == original["id"]
    assert body["quote"]["quoted_status"]["content"] == original["content"]
    assert body["quote"]["quoted_status"]["quote"] is None
    assert Quote.objects.get(status_id=body["id"]).state == Quote.State.ACCEPTED
    notes = alice.client.get("/api/v1/notifications").json()
    assert [(n["type"], n["status"]["id"]) for n in notes] == [("quote", body["id"])]
    assert notes[0]["status"]["quote"]["quoted_status"]["id"] == original["id"]


def test_a_quoted_status_that_quotes_shows_a_shallow_quote(alice, bob, carol):
    first = alice.post("first")
    second = quote(bob, first["id"]).json()

    third = quote(carol, second["id"]).json()

    inner = third["quote"]["quoted_status"]
    assert inner["id"] == second["id"]
    assert inner["quote"] == {"state": "accepted", "quoted_status_id": first["id"]}


def test_quoting_a_reblog_quotes_its_original(alice, bob):
    original = alice.post("original")
    reblog = bob.client.post(f"/api/v1/statuses/{original['id']}/reblog").json()

    body = quote(bob, reblog["id"]).json()

    assert body["quote"]["quoted_status"]["id"] == original["id"]


@pytest.mark.parametrize(
    ("policy", "follows", "allowed"),
    [
        pytest.param("public", False, True, id="public"),
        pytest.param("followers", False, False, id="followers-not-following"),
        pytest.param("followers", True, True, id="followers-following"),
        pytest.param("nobody", True, False, id="nobody"),
    ],
)
def test_the_quoted_authors_policy_decides_at_once(alice, bob, policy, follows, allowed):
    original = alice.post("mine", quote_approval_policy=policy)
    if follows:
        bob.follow(alice)
    statuses_before = Status.objects.count()

    response = quote(bob, original["id"])

    if allowed:
        assert response.status_code == 200
        assert response.json()["quote"]["state"] == "accepted"
    else:
        assert (response.status_code, response.json()) == (404, NOT_QUOTABLE)
        assert Status.objects.count() == statuses_before
        assert not Quote.objects.exists()
        assert not Notification.objects.filter(type="quote").exists()


@pytest.mark.parametrize("visibility", ["private", "direct"])
def test_a_private_or_direct_status_cannot_be_quoted_by_others(alice, bob, visibility):
    bob.follow(alice)
    original = alice.post("hello @bob", visibility=visibility)

    response = quote(bob, original["id"])

    assert (response.status_code, response.json()) == (404, NOT_QUOTABLE)
    assert not Quote.objects.exists()


def test_the_author_may_quote_its_own_private_status(alice):
    original = alice.post("for my followers", visibility="private")
    assert original["quote_approval"]["automatic"] == []

    response = quote(alice, original["id"], visibility="private")

    assert response.status_code == 200
    assert response.json()["quote"]["quoted_status"]["id"] == original["id"]


@pytest.mark.parametrize(
    ("extra", "status_code"),
    [
        pytest.param({"quoted_status_id": "123456789"}, 404, id="unknown-status"),
        pytest.param({"quoted_status_id": "abc"}, 422, id="not-an-id"),
        pytest.param({"quote_approval_policy": "everyone"}, 422, id="unknown-policy"),
    ],
)
def test_bad_quote_parameters_are_refused_and_nothing_is_written(alice, extra, status_code):
    response = alice.client.post("/api/v1/statuses", {"status": "hi", **extra}, format="json")

    assert response.status_code == status_code
    assert "error" in response.json()
    assert not Status.objects.exists()


def test_form_parameters_quote_too(alice, bob):
    original = alice.post("original")

    response = bob.client.post(
        "/api/v1/statuses",
        {"status": "form", "quoted_status_id": original["id"], "quote_approval_policy": "nobody"},
    )

    assert response.status_code == 200
    assert response.json()["quote"]["quoted_status"]["id"] == original["id"]
    assert response.json()["quote_approval"]["automatic"] == []


# quote_approval --------------------------------------------------------------------------


def test_quote_approval_is_per_viewer(alice, bob, carol, api_client):
    bob.follow(alice)
    status = alice.post("followers may quote", quote_approval_policy="followers")

    mine = status_of(alice, status["id"])["quote_approval"]
    bobs = status_of(bob, status["id"])["quote_approval"]
    carols = status_of(carol, status["id"])["quote_approval"]
    anonymous = api_client.get(f"/api/v1/statuses/{status['id']}").json()["quote_approval"]

    assert mine == {"automatic": ["followers"], "manual": [], "current_user": "automatic"}
    assert bobs["current_user"] == "automatic"
    assert carols["current_user"] == "denied"
    assert anonymous["current_user"] == "denied"
    # the same through a cached timeline page
    page = carol.client.get(f"/api/v1/accounts/{alice.id}/statuses").json()
    assert page[0]["quote_approval"]["current_user"] == "denied"
    page = bob.client.get(f"/api/v1/accounts/{alice.id}/statuses").json()
    assert page[0]["quote_approval"]["current_user"] == "automatic"


def test_the_default_policy_is_public(alice):
    status = alice.post("hello")

    assert status["quote_approval"] == {
        "automatic": ["public"],
        "manual": [],
        "current_user": "automatic",
    }


# The privacy rule ------------------------------------------------------------------------


def test_a_viewer_who_may_not_see_the_quoted_status_gets_unauthorized_everywhere(alice, bob, carol):
    # alice quotes her own followers-only status in a public one that mentions carol;
    # bob follows alice, carol follows alice's... no one: carol may not see the private one
    bob.follow(alice)
    carol.follow(alice)
    carol.client.post(f"/api/v1/accounts/{alice.id}/unfollow")
    private = alice.post("for followers", visibility="private")
    public = quote(alice, private["id"], text="see this @carol @bob").json()
    reply = carol.post("replying", in_reply_to_id=public["id"])

    # bob (a follower) sees it, through the cache first
    assert status_of(bob, public["id"])["quote"]["quoted_status"]["id"] == private["id"]
    bob_home = bob.client.get("/api/v1/timelines/home").json()
    assert bob_home[0]["quote"]["quoted_status"]["id"] == private["id"]

    # carol never does, on any endpoint that renders it
    assert unauthorized(status_of(carol, public["id"]))
    carol_public = carol.client.get("/api/v1/timelines/public").json()
    assert unauthorized(next(s for s in carol_public if s["id"] == public["id"]))
    account_page = carol.client.get(f"/api/v1/accounts/{alice.id}/statuses").json()
    assert unauthorized(next(s for s in account_page if s["id"] == public["id"]))
    context = carol.client.get(f"/api/v1/statuses/{reply['id']}/context").json()
    assert unauthorized(context["ancestors"][0])
    notes = carol.client.get("/api/v1/notifications").json()
    assert unauthorized(next(n for n in notes if n["type"] == "mention")["status"])
    grouped = carol.client.get("/api/v2/notifications").json()
    assert unauthorized(next(s for s in grouped["statuses"] if s["id"] == public["id"]))
    by_ids = carol.client.get("/api/v1/statuses", {"id[]": [public["id"]]}).json()
    assert unauthorized(by_ids[0])
    carol.client.post(f"/api/v1/statuses/{public['id']}/bookmark")
    carol.client.post(f"/api/v1/statuses/{public['id']}/favourite")
    assert unauthorized(carol.client.get("/api/v1/bookmarks").json()[0])
    assert unauthorized(carol.client.get("/api/v1/favourites").json()[0])
    streamed = json.loads(
        consumers.status_event_payload(viewer=carol.account, status_id=int(public["id"]))
    )
    assert unauthorized(streamed)
    mention = Notification.objects.get(account=carol.account, type="mention")
    streamed_note = json.loads(
        consumers.notification_event_payload(viewer=carol.account, notification_id=mention.pk)
    )
    assert unauthorized(streamed_note["status"])
    assert "for followers" not in json.dumps([carol_public, account_page, context, notes, grouped])

    # and bob still does, after carol's renderings
    assert status_of(bob, public["id"])["quote"]["state"] == "accepted"


def test_a_blocked_viewer_is_not_shown_the_quoted_status(alice, bob, carol):
    original = alice.post("original")
    quoting = quote(bob, original["id"]).json()
    alice.client.post(f"/api/v1/accounts/{carol.id}/block")

    assert unauthorized(status_of(carol, quoting["id"]))
    assert status_of(bob, quoting["id"])["quote"]["state"] == "accepted"


def test_a_reblog_of_a_quote_carries_the_viewers_quote(alice, bob, carol):
    private = alice.post("private", visibility="private")
    bob.follow(alice)
    public = quote(alice, private["id"], text="public").json()
    bob.client.post(f"/api/v1/statuses/{public['id']}/reblog")
    carol.follow(bob)

    carol_home = carol.client.get("/api/v1/timelines/home").json()

    assert unauthorized(carol_home[0]["reblog"])
    bob_home = bob.client.get("/api/v1/timelines/home").json()
    reblogged = next(s for s in bob_home if s["reblog"] is not None)
    assert reblogged["reblog"]["quote"]["quoted_status"]["id"] == private["id"]


def test_a_quoted_status_hidden_by_moderation_is_unauthorized_for_all_but_its_author(alice, bob):
    original = alice.post("original")
    quoting = quote(bob, original["id"]).json()
    bob.client.get(f"/api/v1/accounts/{bob.id}/statuses")  # cached while accepted

    Status.objects.filter(pk=original["id"]).update(moderation_state="hidden")

    page = bob.client.get(f"/api/v1/accounts/{bob.id}/statuses").json()
    assert unauthorized(page[0])
    alices = alice.client.get(f"/api/v1/accounts/{bob.id}/statuses").json()
    assert alices[0]["quote"]["quoted_status"]["id"] == original["id"]
    assert quoting["id"] == page[0]["id"]


# Deleting, revoking, the quotes of a status ------------------------------------------------


def test_deleting_the_quoted_status_makes_the_quote_deleted(alice, bob):
    original = alice.post("soon gone")
    quoting = quote(bob, original["id"]).json()

    alice.client.delete(f"/api/v1/statuses/{original['id']}")

    assert status_of(bob, quoting["id"])["quote"] == {"state": "deleted", "quoted_status": None}


def test_the_quoted_author_revokes_a_quote(alice, bob):
    original = alice.post("original")
    quoting = quote(bob, original["id"]).json()
    page = bob.client.get(f"/api/v1/accounts/{bob.id}/statuses").json()  # now cached
    assert page[0]["quote"]["state"] == "accepted"

    response = alice.client.post(f"/api/v1/statuses/{original['id']}/quotes/{quoting['id']}/revoke")

    assert response.status_code == 200
    assert response.json()["id"] == quoting["id"]
    assert response.json()["quote"] == {"state": "revoked", "quoted_status": None}
    assert status_of(bob, quoting["id"])["quote"] == {"state": "revoked", "quoted_status": None}
    page = bob.client.get(f"/api/v1/accounts/{bob.id}/statuses").json()
    assert page[0]["quote"] == {"state": "revoked", "quoted_status": None}
    assert alice.client.get(f"/api/v1/statuses/{original['id']}/quotes").json() == []


@pytest.mark.parametrize("who", ["quoter", "stranger"])
def test_only_the_quoted_author_may_revoke(alice, bob, carol, who):
    original = alice.post("original")
    quoting = quote(bob, original["id"]).json()
    actor = bob if who == "quoter" else carol

    response = actor.client.post(f"/api/v1/statuses/{original['id']}/quotes/{quoting['id']}/revoke")

    assert response.status_code == 404
    assert Quote.objects.get().state == Quote.State.ACCEPTED


def test_revoking_a_quote_of_another_status_is_not_found(alice, bob):
    original = alice.post("original")
    other = alice.post("other")
    quoting = quote(bob, original["id"]).json()

    response = alice.client.post(f"/api/v1/statuses/{other['id']}/quotes/{quoting['id']}/revoke")

    assert response.status_code == 404
    assert Quote.objects.get().state == Quote.State.ACCEPTED


def test_the_quotes_of_a_status_are_paged_newest_first(alice, bob, carol):
    original = alice.post("original")
    first = quote(bob, original["id"], text="one").json()
    second = quote(carol, original["id"], text="two").json()
    hidden = quote(carol, original["id"], text="three", visibility="private").json()

    response = alice.client.get(f"/api/v1/statuses/{original['id']}/quotes", {"limit": 1})

    assert [s["id"] for s in response.json()] == [second["id"]]
    assert "max_id=" in response.headers["Link"]
    everything = alice.client.get(f"/api/v1/statuses/{original['id']}/quotes").json()
    assert [s["id"] for s in everything] == [second["id"], first["id"]]
    assert hidden["id"] not in [s["id"] for s in everything]


# The interaction policy --------------------------------------------------------------------


def test_the_author_changes_who_may_quote(alice, bob):
    original = alice.post("original")

    response = alice.client.put(
        f"/api/v1/statuses/{original['id']}/interaction_policy",
        {"quote_approval_policy": "nobody"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["quote_approval"]["automatic"] == []
    assert status_of(bob, original["id"])["quote_approval"]["current_user"] == "denied"
    assert quote(bob, original["id"]).status_code == 404


@pytest.mark.parametrize(
    ("who", "policy", "status_code"),
    [
        pytest.param("other", "nobody", 403, id="not-the-author"),
        pytest.param("author", "everyone", 422, id="unknown-policy"),
    ],
)
def test_a_bad_interaction_policy_change_changes_nothing(alice, bob, who, policy, status_code):
    original = alice.post("original")
    actor = alice if who == "author" else bob

    response = actor.client.put(
        f"/api/v1/statuses/{original['id']}/interaction_policy",
        {"quote_approval_policy": policy},
        format="json",
    )

    assert response.status_code == status_code
    assert Status.objects.get(pk=original["id"]).quote_approval_policy == 1 << 17


# quoted_update -----------------------------------------------------------------------------


def test_editing_a_quoted_status_notifies_its_quoters(alice, bob, carol):
    original = alice.post("original")
    quote(bob, original["id"])
    alice.post("not quoted")

    alice.client.put(f"/api/v1/statuses/{original['id']}", {"status": "edited"}, format="json")

    notes = bob.client.get("/api/v1/notifications").json()
    assert [(n["type"], n["status"]["id"]) for n in notes] == [("quoted_update", original["id"])]
    assert carol.client.get("/api/v1/notifications").json() == []


# Query counts ------------------------------------------------------------------------------


def queries_for_home(member: Member) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = member.client.get("/api/v1/timelines/home")
    assert response.status_code == 200
    return len(captured)


def test_a_home_page_of_quotes_costs_the_same_for_two_and_ten(alice, bob, carol, dave):
    bob.follow(alice)
    carol.follow(alice)
    for index in range(2):
        original = dave.post(f"original {index}")
        quote(alice, original["id"], text=f"quote {index}")
    cache.clear()
    for_two = queries_for_home(bob)
    for index in range(8):
        original = dave.post(f"more {index}")
        quote(alice, original["id"], text=f"again {index}")

    cache.clear()
    for_ten = queries_for_home(carol)

    assert for_ten == for_two
    assert len(carol.client.get("/api/v1/timelines/home").json()) == 10


# quotes_count ------------------------------------------------------------------------------


def test_quotes_count_counts_the_accepted_quotes(alice, bob, carol):
    original = alice.post("original")
    first = quote(bob, original["id"]).json()
    second = quote(carol, original["id"]).json()
    assert status_of(alice, original["id"])["quotes_count"] == 2

    alice.client.post(f"/api/v1/statuses/{original['id']}/quotes/{first['id']}/revoke")
    alice.client.post(f"/api/v1/statuses/{original['id']}/quotes/{first['id']}/revoke")
    assert status_of(alice, original["id"])["quotes_count"] == 1

    carol.client.delete(f"/api/v1/statuses/{second['id']}")
    assert status_of(alice, original["id"])["quotes_count"] == 0
    assert Quote.objects.get().state == Quote.State.REVOKED


# The posting default ---------------------------------------------------------------------


def test_the_accounts_default_quote_policy_applies_when_the_client_names_none(alice, bob):
    response = alice.client.patch(
        "/api/v1/accounts/update_credentials", {"source[quote_policy]": "followers"}
    )
    assert response.status_code == 200
    assert response.json()["source"]["quote_policy"] == "followers"
    preferences = alice.client.get("/api/v1/preferences").json()
    assert preferences["posting:default:quote_policy"] == "followers"

    status = alice.post("default")
    chosen = alice.post("chosen", quote_approval_policy="public")

    assert status["quote_approval"]["automatic"] == ["followers"]
    assert chosen["quote_approval"]["automatic"] == ["public"]
    assert quote(bob, status["id"]).status_code == 404


def test_an_unknown_default_quote_policy_is_refused(alice):
    response = alice.client.patch(
        "/api/v1/accounts/update_credentials", {"source": {"quote_policy": "all"}}, format="json"
    )

    assert response.status_code == 422
    alice.account.refresh_from_db()
    assert alice.account.default_quote_policy == "public"


@pytest.mark.parametrize("blocker", ["quoted", "quoter"])
def test_a_block_either_way_refuses_the_quote(alice, bob, blocker):
    original = alice.post("original")
    actor, target = (alice, bob) if blocker == "quoted" else (bob, alice)
    actor.client.post(f"/api/v1/accounts/{target.id}/block")

    response = quote(bob, original["id"])

    assert (response.status_code, response.json()) == (404, NOT_QUOTABLE)
    assert not Quote.objects.exists()


def test_a_scheduled_status_cannot_quote_yet(alice, bob):
    original = alice.post("original")

    response = quote(bob, original["id"], scheduled_at="2099-01-01T00:00:00Z")

    assert response.status_code == 422
    assert "quoted_status_id" in response.json()["details"]
    assert not Quote.objects.exists()


def queries_for_notifications(member: Member) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = member.client.get("/api/v1/notifications")
    assert response.status_code == 200
    return len(captured)


def test_a_page_of_quote_notifications_costs_the_same_for_two_and_eight(alice, bob):
    def quoted_twice(count: int) -> None:
        for index in range(count):
            original = alice.post(f"original {index} {count}")
            quote(bob, original["id"], text=f"quote {index}")

    quoted_twice(2)
    cache.clear()
    for_two = queries_for_notifications(alice)
    quoted_twice(6)

    cache.clear()
    for_eight = queries_for_notifications(alice)

    assert for_eight == for_two
    notes = alice.client.get("/api/v1/notifications").json()
    assert [n["type"] for n in notes] == ["quote"] * 8
    assert all(n["status"]["quote"]["state"] == "accepted" for n in notes)


def test_a_reblogs_quote_approval_is_its_originals(alice, bob, carol):
    original = alice.post("original", quote_approval_policy="followers")
    carol.follow(bob)
    carol.follow(alice)
    bob.client.post(f"/api/v1/statuses/{original['id']}/reblog")

    home = carol.client.get("/api/v1/timelines/home").json()

    reblog = next(s for s in home if s["reblog"] is not None)
    assert reblog["quote_approval"] == {
        "automatic": ["followers"],
        "manual": [],
        "current_user": "automatic",
    }
    assert reblog["reblog"]["quote_approval"]["current_user"] == "automatic"
    single = status_of(bob, reblog["id"])
    assert single["quote_approval"]["current_user"] == "denied"  # bob does not follow alice
