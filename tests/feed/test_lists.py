"""Mastodon's lists through the API: ``/api/v1/lists``, their members, ``/api/v1/accounts/:id/lists``,
the list timeline (from the database, and from the feed store on a private Redis), exclusive
lists keeping their members out of home, and the ``list`` stream."""

import importlib

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.feed.models import Follow, List, ListAccount
from config.celery import app as celery_app
from tests.accounts.factories import UserFactory
from tests.feed.conftest import Member
from tests.feed.factories import StatusFactory

pytestmark = pytest.mark.django_db

NOT_FOUND = {"error": "Record not found"}


def make_list(member: Member, title: str = "friends", **fields) -> dict:
    response = member.client.post("/api/v1/lists", {"title": title, **fields}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def add(member: Member, list_id: str, *others: Member) -> None:
    response = member.client.post(
        f"/api/v1/lists/{list_id}/accounts",
        {"account_ids": [o.id for o in others]},
        format="json",
    )
    assert response.status_code == 200, response.json()


def timeline_ids(member: Member, list_id: str, query: str = "") -> list[str]:
    response = member.client.get(f"/api/v1/timelines/list/{list_id}{query}")
    assert response.status_code == 200, response.json()
    return [s["id"] for s in response.json()]


def home_ids(member: Member) -> list[str]:
    response = member.client.get("/api/v1/timelines/home")
    assert response.status_code == 200
    return [s["id"] for s in response.json()]


# Lists -----------------------------------------------------------------------


def test_a_list_is_created_with_mastodons_defaults_and_shown_to_its_owner(alice):
    # when alice creates a list with only a title (a form, as Tusky sends it)
    response = alice.client.post("/api/v1/lists", {"title": "Friends"})

    # then it is Mastodon's List entity, replies to list members shown, not exclusive
    assert response.status_code == 200
    created = response.json()
    assert created == {
        "id": created["id"],
        "title": "Friends",
        "replies_policy": "list",
        "exclusive": False,
    }
    assert alice.client.get(f"/api/v1/lists/{created['id']}").json() == created
    assert alice.client.get("/api/v1/lists").json() == [created]


def test_a_list_is_created_and_updated_with_every_field(alice):
    # given
    created = make_list(alice, "news", replies_policy="none", exclusive=True)
    assert (created["replies_policy"], created["exclusive"]) == ("none", True)

    # when alice renames it and changes only its policy
    response = alice.client.put(
        f"/api/v1/lists/{created['id']}",
        {"title": "world news", "replies_policy": "followed"},
        format="json",
    )

    # then what she gave changed, the rest stayed
    assert response.status_code == 200
    assert response.json() == {
        "id": created["id"],
        "title": "world news",
        "replies_policy": "followed",
        "exclusive": True,
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": ""}, "Validation failed: title can't be blank"),
        ({"title": "   "}, "Validation failed: title can't be blank"),
        ({}, "Validation failed: title can't be blank"),
        ({"title": "x" * 257}, "Validation failed: title is too long (maximum is 256 characters)"),
        (
            {"title": "ok", "replies_policy": "everyone"},
            "Validation failed: replies_policy is not included in the list",
        ),
    ],
    ids=["empty", "blank", "missing", "too-long", "unknown-policy"],
)
def test_a_bad_list_is_refused_with_nothing_written(alice, body, message):
    response = alice.client.post("/api/v1/lists", body, format="json")

    assert response.status_code == 422
    assert response.json()["error"] == message
    assert not List.objects.exists()


def test_a_title_of_256_characters_is_accepted(alice):
    assert make_list(alice, "x" * 256)["title"] == "x" * 256


def test_a_bad_update_changes_nothing(alice):
    created = make_list(alice, "keep")

    for body in ({"title": ""}, {"title": "y" * 257}, {"replies_policy": "all"}):
        response = alice.client.put(f"/api/v1/lists/{created['id']}", body, format="json")
        assert response.status_code == 422

    assert alice.client.get(f"/api/v1/lists/{created['id']}").json() == created


def test_an_account_has_at_most_fifty_lists(alice):
    List.objects.bulk_create(
        [List(account=alice.account, title=f"list {n}") for n in range(List.PER_ACCOUNT_LIMIT)]
    )

    response = alice.client.post("/api/v1/lists", {"title": "one too many"}, format="json")

    assert response.status_code == 422
    assert response.json()["error"] == (
        "Validation failed: You have reached the maximum number of lists"
    )
    assert List.objects.filter(account=alice.account).count() == List.PER_ACCOUNT_LIMIT


def test_a_deleted_list_is_gone_with_its_members(alice, bob):
    bob_list = make_list(alice)
    alice.follow(bob)
    add(alice, bob_list["id"], bob)

    response = alice.client.delete(f"/api/v1/lists/{bob_list['id']}")

    assert (response.status_code, response.json()) == (200, {})
    assert alice.client.get(f"/api/v1/lists/{bob_list['id']}").status_code == 404
    assert not ListAccount.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/lists/{id}", None),
        ("put", "/api/v1/lists/{id}", {"title": "mine now"}),
        ("delete", "/api/v1/lists/{id}", None),
        ("get", "/api/v1/lists/{id}/accounts", None),
        ("post", "/api/v1/lists/{id}/accounts", {"account_ids": []}),
        ("delete", "/api/v1/lists/{id}/accounts", {"account_ids": []}),
        ("get", "/api/v1/timelines/list/{id}", None),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_someone_elses_list_is_not_found(alice, bob, method, path, body):
    # given alice's list
    created = make_list(alice, "private")

    # when bob reaches it
    call = getattr(bob.client, method)
    response = (
        call(path.format(id=created["id"]), body, format="json")
        if body
        else call(path.format(id=created["id"]))
    )

    # then it does not exist for him, and it is unchanged
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert List.objects.get().title == "private"


def test_lists_need_the_lists_scopes(alice, token_for, api_client):
    created = make_list(alice)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(alice.account, 'read:lists')}")

    assert api_client.get("/api/v1/lists").status_code == 200
    assert api_client.get(f"/api/v1/timelines/list/{created['id']}").status_code == 200
    assert api_client.post("/api/v1/lists", {"title": "no"}).status_code == 403
    assert api_client.delete(f"/api/v1/lists/{created['id']}").status_code == 403
    assert List.objects.count() == 1


# Members -----------------------------------------------------------------------


def test_followed_accounts_are_added_as_form_or_json_and_listed(alice, bob, carol):
    # given alice follows bob and carol
    alice.follow(bob)
    alice.follow(carol)
    created = make_list(alice)
    path = f"/api/v1/lists/{created['id']}/accounts"

    # when she adds bob with a form's account_ids[] and carol with JSON, then bob again
    assert alice.client.post(path, {"account_ids[]": [bob.id]}).json() == {}
    assert alice.client.post(path, {"account_ids": [carol.id]}, format="json").json() == {}
    again = alice.client.post(path, {"account_ids[]": [bob.id]})

    # then adding twice is fine, and both are members, newest account first
    assert again.status_code == 200
    members = alice.client.get(path).json()
    assert [m["id"] for m in members] == sorted([bob.id, carol.id], key=int, reverse=True)
    assert alice.client.get(f"/api/v1/accounts/{bob.id}/lists").json() == [created]


def test_the_owner_may_add_themselves(alice):
    created = make_list(alice)

    add(alice, created["id"], alice)

    assert [
        m["id"] for m in alice.client.get(f"/api/v1/lists/{created['id']}/accounts").json()
    ] == [alice.id]


def test_an_account_not_followed_is_refused_and_nothing_is_added(alice, bob, carol):
    # given alice follows bob but not carol
    alice.follow(bob)
    created = make_list(alice)

    # when she adds both at once
    response = alice.client.post(
        f"/api/v1/lists/{created['id']}/accounts",
        {"account_ids": [bob.id, carol.id]},
        format="json",
    )

    # then Mastodon's validation error, and neither was added
    assert response.status_code == 422
    assert response.json()["error"] == "Validation failed: account_id must be a followed account"
    assert not ListAccount.objects.exists()


@pytest.mark.parametrize("bad", ["999999999999", "abc", "-1"], ids=["unknown", "text", "negative"])
def test_an_id_that_names_no_account_is_not_found_and_nothing_is_added(alice, bob, bad):
    alice.follow(bob)
    created = make_list(alice)

    response = alice.client.post(
        f"/api/v1/lists/{created['id']}/accounts", {"account_ids": [bob.id, bad]}, format="json"
    )

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert not ListAccount.objects.exists()


def test_a_malformed_account_ids_is_refused(alice):
    created = make_list(alice)

    response = alice.client.post(
        f"/api/v1/lists/{created['id']}/accounts", {"account_ids": {"a": 1}}, format="json"
    )

    assert response.status_code == 422
    assert not ListAccount.objects.exists()


def test_members_are_removed_by_query_or_body(alice, bob, carol):
    alice.follow(bob)
    alice.follow(carol)
    created = make_list(alice)
    add(alice, created["id"], bob, carol)
    path = f"/api/v1/lists/{created['id']}/accounts"

    # when bob is removed by the query string (as Ice Cubes and masto.js send it), carol by body
    assert alice.client.delete(f"{path}?account_ids[]={bob.id}").status_code == 200
    assert alice.client.get(path).json()[0]["id"] == carol.id
    response = alice.client.delete(path, {"account_ids": [carol.id, "12345"]}, format="json")

    # then both are gone (an id not on the list is ignored)
    assert response.status_code == 200
    assert alice.client.get(path).json() == []


def test_unfollowing_takes_the_account_off_the_owners_lists(alice, bob):
    alice.follow(bob)
    created = make_list(alice)
    add(alice, created["id"], bob)

    assert alice.client.post(f"/api/v1/accounts/{bob.id}/unfollow").status_code == 200

    assert alice.client.get(f"/api/v1/lists/{created['id']}/accounts").json() == []


def test_members_are_paged_by_account_id_and_limit_0_answers_all(alice):
    # given a list of five followed accounts
    created = make_list(alice)
    others = [UserFactory() for _ in range(5)]
    Follow.objects.bulk_create([Follow(account=alice.account, target=o) for o in others])
    list_ = List.objects.get()
    ListAccount.objects.bulk_create(
        [ListAccount(list=list_, account=o, follow=Follow.objects.get(target=o)) for o in others]
    )
    newest_first = sorted((str(o.pk) for o in others), key=int, reverse=True)
    path = f"/api/v1/lists/{created['id']}/accounts"

    # when paged two at a time
    first = alice.client.get(f"{path}?limit=2")
    second = alice.client.get(f"{path}?limit=2&max_id={newest_first[1]}")
    everyone = alice.client.get(f"{path}?limit=0")

    # then the Link header pages by account id; limit=0 is every member, without Link
    assert [a["id"] for a in first.json()] == newest_first[:2]
    assert f"max_id={newest_first[1]}" in first["Link"]
    assert [a["id"] for a in second.json()] == newest_first[2:4]
    assert [a["id"] for a in everyone.json()] == newest_first
    assert "Link" not in everyone


def test_account_lists_answers_only_the_viewers_lists_holding_the_account(alice, bob, carol):
    alice.follow(carol)
    bob.follow(carol)
    with_carol = make_list(alice, "with carol")
    make_list(alice, "without")
    add(alice, with_carol["id"], carol)
    add(bob, make_list(bob, "bob's")["id"], carol)

    response = alice.client.get(f"/api/v1/accounts/{carol.id}/lists")

    assert response.json() == [with_carol]


# The list timeline ----------------------------------------------------------------


def test_the_list_timeline_shows_its_members_statuses_as_home_does(alice, bob, carol):
    # given alice follows bob and carol, and her list holds only bob
    alice.follow(bob)
    alice.follow(carol)
    created = make_list(alice)
    add(alice, created["id"], bob)
    public = bob.post("public")
    private = bob.post("followers only", visibility="private")
    bob.post(f"@{alice.account.username} secret", visibility="direct")
    carol.post("not on the list")

    # then the list shows bob's public and private statuses, not his direct one nor carol's
    assert timeline_ids(alice, created["id"]) == [private["id"], public["id"]]


def test_mutes_and_blocks_apply_to_the_list_timeline(alice, bob, carol):
    alice.follow(bob)
    alice.follow(carol)
    created = make_list(alice)
    add(alice, created["id"], bob, carol)
    bob.post("muted soon")
    carol.post("blocked soon")

    assert alice.client.post(f"/api/v1/accounts/{bob.id}/mute").status_code == 200
    assert carol.client.post(f"/api/v1/accounts/{alice.id}/block").status_code == 200

    assert timeline_ids(alice, created["id"]) == []


@pytest.mark.parametrize(
    ("policy", "shown"),
    [
        ("list", {"self", "to_owner", "to_member"}),
        ("followed", {"self", "to_owner", "to_member", "to_followed"}),
        ("none", {"self", "to_owner"}),
    ],
)
def test_replies_are_shown_as_the_replies_policy_says(alice, bob, carol, policy, shown):
    # given alice follows bob, carol and dave; her list holds bob and carol
    dave, erin = Member("dave"), Member("erin")
    for other in (bob, carol, dave):
        alice.follow(other)
    created = make_list(alice, replies_policy=policy)
    add(alice, created["id"], bob, carol)
    targets = {
        "self": bob.post("thread start"),
        "to_owner": alice.post("question"),
        "to_member": carol.post("carol says"),
        "to_followed": dave.post("dave says"),
        "to_stranger": erin.post("erin says"),
    }

    # when bob replies to each
    replies = {
        name: bob.post("reply", in_reply_to_id=status["id"])["id"]
        for name, status in targets.items()
    }

    # then the list shows the replies its policy admits
    listed = set(timeline_ids(alice, created["id"]))
    assert {name for name, reply in replies.items() if reply in listed} == shown


def test_reblogs_by_members_show_unless_their_reblogs_are_off(alice, bob, carol):
    alice.follow(bob)
    created = make_list(alice)
    add(alice, created["id"], bob)
    original = carol.post("worth sharing")
    reblog = bob.client.post(f"/api/v1/statuses/{original['id']}/reblog").json()

    assert timeline_ids(alice, created["id"]) == [reblog["id"]]

    alice.client.post(f"/api/v1/accounts/{bob.id}/follow", {"reblogs": False}, format="json")
    assert timeline_ids(alice, created["id"]) == []


def test_the_list_timeline_pages_with_link_headers(alice, bob):
    alice.follow(bob)
    created = make_list(alice)
    add(alice, created["id"], bob)
    posted = [bob.post(f"status {n}")["id"] for n in range(5)]

    first = alice.client.get(f"/api/v1/timelines/list/{created['id']}?limit=2")
    older = timeline_ids(alice, created["id"], f"?limit=2&max_id={posted[3]}")
    newer = timeline_ids(alice, created["id"], f"?limit=2&min_id={posted[1]}")

    assert [s["id"] for s in first.json()] == posted[:2:-1][:2]
    assert f"max_id={posted[3]}" in first["Link"]
    assert older == [posted[2], posted[1]]
    assert newer == [posted[3], posted[2]]


# Exclusive lists ---------------------------------------------------------------------


def test_an_exclusive_lists_members_stay_out_of_home_but_not_out_of_the_list(alice, bob, carol):
    # given alice follows bob and carol; bob is on her exclusive list
    alice.follow(bob)
    alice.follow(carol)
    created = make_list(alice, exclusive=True)
    add(alice, created["id"], bob, alice)
    by_bob = bob.post("only in the list")
    by_carol = carol.post("in home")
    by_alice = alice.post("mine")
    reblog_of_bob = carol.client.post(f"/api/v1/statuses/{by_bob['id']}/reblog").json()

    # then home keeps alice's own and carol's (her reblog of bob's too), the list has bob's
    assert home_ids(alice) == [reblog_of_bob["id"], by_alice["id"], by_carol["id"]]
    assert timeline_ids(alice, created["id"]) == [by_alice["id"], by_bob["id"]]

    # when the list stops being exclusive, bob is back in home
    alice.client.put(f"/api/v1/lists/{created['id']}", {"exclusive": False}, format="json")
    assert by_bob["id"] in home_ids(alice)


def test_a_non_exclusive_list_leaves_home_alone(alice, bob):
    alice.follow(bob)
    add(alice, make_list(alice)["id"], bob)
    posted = bob.post("everywhere")

    assert home_ids(alice) == [posted["id"]]


# Query counts ---------------------------------------------------------------------------


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200
    return len(captured)


def test_the_lists_index_costs_the_same_for_one_list_and_thirty(alice, bob):
    make_list(alice)
    make_list(bob)
    List.objects.bulk_create([List(account=bob.account, title=f"l{n}") for n in range(29)])

    one = queries(lambda: alice.client.get("/api/v1/lists"))
    thirty = queries(lambda: bob.client.get("/api/v1/lists"))

    assert thirty == one


def test_the_list_timeline_costs_the_same_for_two_statuses_and_twenty(alice, bob, carol):
    # given two lists: one with a member who posted twice, one with two members and twenty
    for other in (bob, carol):
        alice.follow(other)
    small, large = make_list(alice, "small"), make_list(alice, "large")
    add(alice, small["id"], bob)
    add(alice, large["id"], bob, carol)
    for n in range(2):
        bob.post(f"bob {n}")
    for n in range(18):
        StatusFactory(account=carol.account, text=f"carol {n}")
    path = "/api/v1/timelines/list/{id}?limit=40"

    # when each is read
    few = queries(lambda: alice.client.get(path.format(id=small["id"])))
    many = queries(lambda: alice.client.get(path.format(id=large["id"])))

    # then the cost does not grow with the page
    assert many == few
    assert len(alice.client.get(path.format(id=large["id"])).json()) == 20


# The feed store (a private Redis) ------------------------------------------------------


@pytest.fixture
def store(settings, tmp_path):
    """The feed store on a private redis-server, tasks run in process (as a worker would)."""
    from tests.core.test_outages import RedisServer

    # The feed's tasks, registered as a worker's autodiscovery registers them.
    importlib.import_module("apps.feed.tasks")
    server = RedisServer(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    yield server
    celery_app.conf.task_always_eager = False
    settings.REDIS_URL = ""
    server.stop()


def both_ways(member: Member, list_id: str, settings, store, query: str = "") -> list[str]:
    """The list timeline from the store, then from the database; they must agree."""
    from_store = timeline_ids(member, list_id, query)
    settings.REDIS_URL = ""
    from_database = timeline_ids(member, list_id, query)
    settings.REDIS_URL = store.url
    assert from_store == from_database
    return from_store


@pytest.mark.django_db(transaction=True)
def test_the_store_serves_the_list_as_the_database_does(alice, bob, carol, dave_, store, settings):
    from apps.feed.fanout.lists import list_feed_ids

    # given alice's list of bob and carol (replies to members only), read once: the store is warm
    for other in (bob, carol, dave_):
        alice.follow(other)
    bob.follow(carol)
    created = make_list(alice)
    list_id = created["id"]
    add(alice, list_id, bob, carol)
    first = bob.post("first")
    assert both_ways(alice, list_id, settings, store) == [first["id"]]

    # when members post, reply, reblog and dave (not a member) posts
    second = carol.post("second", visibility="private")
    by_dave = dave_.post("dave's")
    to_dave = bob.post("to dave", in_reply_to_id=by_dave["id"])
    to_carol = bob.post("to carol", in_reply_to_id=second["id"])
    # (a reblog of a status the feed shows near the top would not be repeated, as Mastodon's)
    reblog = carol.client.post(f"/api/v1/statuses/{by_dave['id']}/reblog").json()

    # then the fan-out pushed what the list shows into feed:list:<id>, and both paths agree
    expected = [reblog["id"], to_carol["id"], second["id"], first["id"]]
    stored = [str(i) for i in list_feed_ids(int(list_id))]
    assert to_dave["id"] not in stored
    assert set(expected) <= set(stored)
    assert both_ways(alice, list_id, settings, store) == expected
    assert both_ways(alice, list_id, settings, store, f"?limit=2&max_id={to_carol['id']}") == [
        second["id"],
        first["id"],
    ]

    # when carol leaves the list, her statuses leave its feed (and bob's reply to her no longer
    # replies to a member); when she is back, they return
    alice.client.delete(f"/api/v1/lists/{list_id}/accounts?account_ids[]={carol.id}")
    assert both_ways(alice, list_id, settings, store) == [first["id"]]
    assert second["id"] not in [str(i) for i in list_feed_ids(int(list_id))]
    add(alice, list_id, carol)
    assert second["id"] in [str(i) for i in list_feed_ids(int(list_id))]
    assert both_ways(alice, list_id, settings, store) == expected

    # when a status is deleted, it leaves the list's feed
    assert bob.client.delete(f"/api/v1/statuses/{to_carol['id']}").status_code == 200
    assert to_carol["id"] not in [str(i) for i in list_feed_ids(int(list_id))]
    assert both_ways(alice, list_id, settings, store) == [reblog["id"], second["id"], first["id"]]


@pytest.mark.django_db(transaction=True)
def test_a_cold_list_is_rebuilt_from_the_database(alice, bob, store, settings):
    from apps.feed.fanout import client
    from apps.feed.fanout.lists import list_feed_ids, list_feed_key

    alice.follow(bob)
    created = make_list(alice)
    add(alice, created["id"], bob)
    posted = [bob.post(f"status {n}")["id"] for n in range(3)]
    client().delete(list_feed_key(int(created["id"])))

    assert both_ways(alice, created["id"], settings, store) == posted[::-1]
    assert [str(i) for i in list_feed_ids(int(created["id"]))] == posted[::-1]


@pytest.mark.django_db(transaction=True)
def test_exclusive_lists_keep_members_out_of_the_stored_home_feed(alice, bob, carol, store):
    alice.follow(bob)
    alice.follow(carol)
    created = make_list(alice, exclusive=True)
    add(alice, created["id"], bob)
    assert home_ids(alice) == []  # alice is active: her home feed is pushed to

    by_bob = bob.post("list only")
    by_carol = carol.post("home")

    assert home_ids(alice) == [by_carol["id"]]
    alice.client.put(f"/api/v1/lists/{created['id']}", {"exclusive": False}, format="json")
    assert home_ids(alice) == [by_carol["id"], by_bob["id"]]


@pytest.mark.django_db(transaction=True)
def test_the_stored_list_timeline_costs_the_same_for_two_statuses_and_twenty(
    alice, bob, carol, store
):
    for other in (bob, carol):
        alice.follow(other)
    small, large = make_list(alice, "small"), make_list(alice, "large")
    add(alice, small["id"], bob)
    add(alice, large["id"], bob, carol)
    for n in range(2):
        bob.post(f"bob {n}")
    for n in range(18):
        carol.post(f"carol {n}")
    path = "/api/v1/timelines/list/{id}?limit=40"
    for created in (small, large):  # warm: the first read rebuilds
        alice.client.get(path.format(id=created["id"]))

    few = queries(lambda: alice.client.get(path.format(id=small["id"])))
    many = queries(lambda: alice.client.get(path.format(id=large["id"])))

    assert many == few
    assert len(timeline_ids(alice, large["id"], "?limit=40")) == 20


@pytest.fixture
def dave_(db):
    return Member("dave")


# The list stream ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_list_stream_hears_statuses_entering_the_list(alice, bob, carol, token_for):
    from tests.feed.test_streaming import next_event, open_stream, run, settle

    alice.follow(bob)
    alice.follow(carol)
    created = make_list(alice)
    add(alice, created["id"], bob)
    token = token_for(alice.account, scope="read")

    async def scenario():
        stream = await open_stream(token)
        await stream.send_json_to({"type": "subscribe", "stream": "list", "list": created["id"]})
        await settle(stream)

        # when carol (not a member) then bob post, and bob deletes his
        await sync_to_async(carol.post)("not for the list")
        posted = await sync_to_async(bob.post)("for the list")
        update = await next_event(stream)
        response = await sync_to_async(bob.client.delete)(f"/api/v1/statuses/{posted['id']}")
        assert response.status_code == 200
        deleted = await next_event(stream)

        # then only bob's status reaches the list stream, then its deletion
        assert update["stream"] == ["list", created["id"]]
        assert (update["event"], update["payload"]["id"]) == ("update", posted["id"])
        assert deleted == {
            "stream": ["list", created["id"]],
            "event": "delete",
            "payload": posted["id"],
        }
        await stream.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_someone_elses_list_stream_is_refused(alice, bob, token_for):
    from tests.feed.test_streaming import open_stream, run

    created = make_list(alice)
    token = token_for(bob.account, scope="read")

    async def scenario():
        stream = await open_stream(token)
        for list_id in (created["id"], "999999", "abc"):
            await stream.send_json_to({"type": "subscribe", "stream": "list", "list": list_id})
            refusal = await stream.receive_json_from(timeout=5)
            assert refusal == {"error": "List not found", "status": 401}
        await stream.send_json_to({"type": "subscribe", "stream": "list"})
        refusal = await stream.receive_json_from(timeout=5)
        assert refusal == {"error": "Missing list name parameter", "status": 400}
        await stream.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_the_list_stream_over_server_sent_events(alice, bob, carol):
    import asyncio
    import json

    from tests.feed.test_streaming_sse import next_event, open_sse

    alice.follow(bob)
    alice.follow(carol)
    created = make_list(alice)
    add(alice, created["id"], bob)

    async def scenario():
        response, stream = await open_sse(
            f"/api/v1/streaming/list?list={created['id']}", Authorization=f"Bearer {alice.token}"
        )
        await asyncio.wait_for(anext(stream), 5)  # the opening comment
        await sync_to_async(carol.post)("not for the list")
        posted = await sync_to_async(bob.post)("for the list")

        event, data = await next_event(stream)
        assert (event, json.loads(data)["id"]) == ("update", posted["id"])
        await response.streaming_content.aclose()

    run_async(scenario)


def run_async(scenario) -> None:
    from asgiref.sync import async_to_sync

    async_to_sync(scenario)()


def test_members_are_added_by_query_string_too(alice, bob):
    alice.follow(bob)
    created = make_list(alice)

    response = alice.client.post(f"/api/v1/lists/{created['id']}/accounts?account_ids[]={bob.id}")

    assert response.status_code == 200
    assert [
        m["id"] for m in alice.client.get(f"/api/v1/lists/{created['id']}/accounts").json()
    ] == [bob.id]
