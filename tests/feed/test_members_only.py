"""Members-only statuses (``agora_members_only``): for their author and the author's paying members.

Membership comes from ``core.memberships``; each test installs its own provider
(``paying_members``, in ``tests/feed/conftest.py``) or, for billing absent, none.
"""

import pytest
from asgiref.sync import sync_to_async

from apps.feed.models import Notification, Status
from core import memberships
from tests.api_client import APIClient
from tests.feed.test_streaming import next_event, open_stream, run
from tests.feed.test_trends import engage

pytestmark = pytest.mark.django_db


def ids(entities) -> list[str]:
    return [entity["id"] for entity in entities]


def statuses_of(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return ids(response.json())


@pytest.fixture
def bob_pays_alice(alice, bob, paying_members):
    """bob is a paying member of alice's tiers; carol is not."""
    paying_members[bob.account.pk] = {alice.account.pk}
    return paying_members


# Posting ---------------------------------------------------------------------


def test_a_members_only_status_is_stored_and_shown_as_such(alice):
    # when alice posts for her members
    status = alice.post("for my members", agora_members_only=True)

    # then the entity says so in Agora's extension, and the row holds it
    assert status["agora"] == {"members_only": True}
    assert status["visibility"] == "public"
    assert Status.objects.get(pk=status["id"]).members_only is True
    # and an ordinary status says it is not members-only
    assert alice.post("for everyone")["agora"] == {"members_only": False}


def test_members_only_and_direct_are_refused_together(alice, bob):
    # when alice posts a direct members-only status
    response = alice.client.post(
        "/api/v1/statuses",
        {"status": "@bob hi", "visibility": "direct", "agora_members_only": True},
        format="json",
    )

    # then 422 with a field error, and nothing is stored
    assert response.status_code == 422
    assert "agora_members_only" in response.json()["details"]
    assert not Status.objects.filter(account=alice.account).exists()


def test_a_scheduled_members_only_status_is_published_members_only(alice):
    # given alice schedules a members-only status
    from datetime import timedelta

    from django.utils import timezone

    from apps.feed.services import scheduled_statuses_publish_due

    at = timezone.now() + timedelta(minutes=10)
    response = alice.client.post(
        "/api/v1/statuses",
        {"status": "later", "scheduled_at": at.isoformat(), "agora_members_only": True},
        format="json",
    )
    assert response.status_code == 200, response.json()

    # when it falls due
    scheduled_statuses_publish_due(now=at + timedelta(minutes=1))

    # then the published status is members-only
    assert Status.objects.get(account=alice.account).members_only is True


def test_editing_keeps_a_status_members_only(alice, bob, bob_pays_alice, carol):
    status = alice.post("first", agora_members_only=True)

    # when alice edits it (a Mastodon client does not send the extension)
    response = alice.client.put(f"/api/v1/statuses/{status['id']}", {"status": "second"})

    # then it stays members-only
    assert response.status_code == 200
    assert response.json()["agora"] == {"members_only": True}
    assert carol.client.get(f"/api/v1/statuses/{status['id']}").status_code == 404


# Who sees it -------------------------------------------------------------------


def test_the_author_and_members_see_it_everywhere(alice, bob, bob_pays_alice):
    # given bob, a member, follows alice, who posts for members with a hashtag
    bob.follow(alice)
    status = alice.post("members #news", agora_members_only=True)

    # then alice and bob see it: by id, in home, in alice's statuses, public and tag timelines
    for member in (alice, bob):
        client = member.client
        assert client.get(f"/api/v1/statuses/{status['id']}").status_code == 200
        assert status["id"] in statuses_of(client.get("/api/v1/timelines/home"))
        assert status["id"] in statuses_of(client.get(f"/api/v1/accounts/{alice.id}/statuses"))
        assert status["id"] in statuses_of(client.get("/api/v1/timelines/public"))
        assert status["id"] in statuses_of(client.get("/api/v1/timelines/tag/news"))


def test_a_member_sees_it_in_its_thread(alice, bob, bob_pays_alice):
    # given a members-only status, and a public reply of alice's to it
    status = alice.post("members", agora_members_only=True)
    reply = alice.post("a public reply", in_reply_to_id=status["id"])

    # when bob, a member, asks for the reply's context / then the members-only parent is there
    context = bob.client.get(f"/api/v1/statuses/{reply['id']}/context").json()
    assert ids(context["ancestors"]) == [status["id"]]


def test_non_members_and_the_anonymous_never_see_it(alice, bob, carol, bob_pays_alice):
    # given carol follows alice but pays nothing; alice posts a public members-only status
    carol.follow(alice)
    status = alice.post("members #news secretword", agora_members_only=True)
    reply = alice.post("a public reply", in_reply_to_id=status["id"])
    anonymous = APIClient()

    # then neither carol nor anyone anonymous finds it, anywhere
    for client in (carol.client, anonymous):
        assert client.get(f"/api/v1/statuses/{status['id']}").status_code == 404
        for path in (
            f"/api/v1/accounts/{alice.id}/statuses",
            "/api/v1/timelines/public",
            "/api/v1/timelines/tag/news",
        ):
            assert status["id"] not in statuses_of(client.get(path)), path
        context = client.get(f"/api/v1/statuses/{reply['id']}/context").json()
        assert context["ancestors"] == []
    assert status["id"] not in statuses_of(carol.client.get("/api/v1/timelines/home"))
    found = carol.client.get("/api/v2/search", {"q": "secretword", "type": "statuses"})
    assert found.json()["statuses"] == []
    # while bob, a member, finds it by search
    found = bob.client.get("/api/v2/search", {"q": "secretword", "type": "statuses"})
    assert ids(found.json()["statuses"]) == [status["id"]]


@pytest.mark.parametrize("action", ["favourite", "bookmark", "reblog"])
def test_a_non_member_cannot_act_on_it(alice, carol, bob_pays_alice, action):
    status = alice.post("members", agora_members_only=True)

    # when carol, no member, favourites, bookmarks or reblogs it / then 404, and nothing changed
    response = carol.client.post(f"/api/v1/statuses/{status['id']}/{action}")
    assert response.status_code == 404
    row = Status.objects.get(pk=status["id"])
    assert (row.favourites_count, row.reblogs_count) == (0, 0)


def test_a_member_may_favourite_and_bookmark_it(alice, bob, bob_pays_alice):
    status = alice.post("members", agora_members_only=True)

    assert bob.client.post(f"/api/v1/statuses/{status['id']}/favourite").status_code == 200
    assert bob.client.post(f"/api/v1/statuses/{status['id']}/bookmark").status_code == 200
    assert ids(bob.client.get("/api/v1/favourites").json()) == [status["id"]]
    assert ids(bob.client.get("/api/v1/bookmarks").json()) == [status["id"]]


@pytest.mark.parametrize("reblogger", ["member", "author"])
def test_nobody_reblogs_it(alice, bob, bob_pays_alice, reblogger):
    status = alice.post("members", agora_members_only=True)
    member = bob if reblogger == "member" else alice

    # when a member (or alice herself) reblogs it / then refused as a private status is
    response = member.client.post(f"/api/v1/statuses/{status['id']}/reblog")
    assert response.status_code == 403
    assert response.json() == {"error": "This action is not allowed"}
    assert not Status.objects.filter(reblog_of_id=status["id"]).exists()


def test_a_private_members_only_status_needs_following_and_membership(
    alice, bob, carol, paying_members
):
    # given bob pays alice but does not follow her; carol follows her but does not pay;
    # dave (alice herself aside) does both
    from tests.feed.conftest import Member

    dave = Member("dave")
    paying_members[bob.account.pk] = {alice.account.pk}
    paying_members[dave.account.pk] = {alice.account.pk}
    carol.follow(alice)
    dave.follow(alice)

    # when alice posts for followers who are members
    status = alice.post("both", visibility="private", agora_members_only=True)

    # then only dave (and alice) see it
    seen = {
        name: member.client.get(f"/api/v1/statuses/{status['id']}").status_code
        for name, member in (("alice", alice), ("bob", bob), ("carol", carol), ("dave", dave))
    }
    assert seen == {"alice": 200, "bob": 404, "carol": 404, "dave": 200}


def test_a_fan_whose_membership_ends_no_longer_sees_it(alice, bob, bob_pays_alice):
    bob.follow(alice)
    status = alice.post("members", agora_members_only=True)
    assert bob.client.get(f"/api/v1/statuses/{status['id']}").status_code == 200

    # when bob's membership ends
    bob_pays_alice[bob.account.pk] = set()

    # then it is gone for him
    assert bob.client.get(f"/api/v1/statuses/{status['id']}").status_code == 404
    assert status["id"] not in statuses_of(bob.client.get("/api/v1/timelines/home"))


def test_without_billing_only_the_author_sees_it(alice, bob):
    # given no membership provider at all (billing absent)
    previous = (memberships._provider, memberships._bulk_provider)
    memberships.set_provider(None)
    try:
        bob.follow(alice)
        status = alice.post("members", agora_members_only=True)

        # then alice sees it and bob, her follower, does not
        assert alice.client.get(f"/api/v1/statuses/{status['id']}").status_code == 200
        assert bob.client.get(f"/api/v1/statuses/{status['id']}").status_code == 404
        assert status["id"] not in statuses_of(bob.client.get("/api/v1/timelines/home"))
    finally:
        memberships.set_provider(*previous)


def test_it_never_trends(alice, bob, bob_pays_alice):
    status = alice.post("members", agora_members_only=True)
    shown = alice.post("for everyone")
    engage(status, favourites=9)
    engage(shown, favourites=1)

    # then even a member sees only the ordinary status trend
    assert ids(bob.client.get("/api/v1/trends/statuses").json()) == [shown["id"]]


def test_a_mention_notifies_members_only(alice, bob, carol, bob_pays_alice):
    # when alice mentions bob (a member) and carol (not) in a members-only status
    status = alice.post("hi @bob and @carol", agora_members_only=True)

    # then bob is notified and carol is not
    notified = set(
        Notification.objects.filter(status_id=status["id"], type="mention").values_list(
            "account_id", flat=True
        )
    )
    assert notified == {bob.account.pk}
    assert carol.client.get("/api/v1/notifications").json() == []


def test_only_the_author_may_quote_it(alice, bob, bob_pays_alice):
    status = alice.post("members", agora_members_only=True)

    # when bob, a member, quotes it / then not found, as Mastodon answers an unquotable status
    response = bob.client.post(
        "/api/v1/statuses", {"status": "look", "quoted_status_id": status["id"]}, format="json"
    )
    assert response.status_code == 404
    assert not Status.objects.filter(account=bob.account).exists()


# Streaming -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_streams_carry_it_to_members_only(alice, bob, carol, token_for, paying_members):
    # given bob (a member) and carol (not) follow alice and listen to their user, public and
    # hashtag streams
    paying_members[bob.account.pk] = {alice.account.pk}
    bob.follow(alice)
    carol.follow(alice)
    bob_token = token_for(bob.account, scope="read")
    carol_token = token_for(carol.account, scope="read")

    async def scenario():
        bob_user = await open_stream(bob_token, "stream=user")
        bob_public = await open_stream(bob_token, "stream=public")
        carol_streams = [
            await open_stream(carol_token, "stream=user"),
            await open_stream(carol_token, "stream=public"),
            await open_stream(carol_token, "stream=hashtag&tag=news"),
        ]

        # when alice posts for members, then a public marker with the same tag
        status = await sync_to_async(alice.post)("members #news", agora_members_only=True)
        marker = await sync_to_async(alice.post)("marker #news")

        # then bob gets the members-only status on his streams; carol gets only the marker
        # (streams need a signed-in account)
        for stream in (bob_user, bob_public):
            event = await next_event(stream)
            assert (event["event"], event["payload"]["id"]) == ("update", status["id"])
        for stream in carol_streams:
            event = await next_event(stream)
            assert (event["event"], event["payload"]["id"]) == ("update", marker["id"])
        for stream in (bob_user, bob_public, *carol_streams):
            await stream.disconnect()

    run(scenario)
