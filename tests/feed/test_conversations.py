"""Direct conversations (``/api/v1/conversations``), the ``direct`` stream and thread mutes,
as Mastodon 4.5 has them; and a direct status reaching nobody but its participants."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Standing, User
from apps.feed import services
from apps.feed.models import AccountConversation, ConversationMute, Notification, Status
from tests.feed.conftest import Member
from tests.feed.test_streaming import TIMEOUT, open_stream, run, settle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_mentions_accepted")]

NOT_FOUND = {"error": "Record not found"}


def conversations(member, **params) -> list[dict]:
    response = member.client.get("/api/v1/conversations", params)
    assert response.status_code == 200, response.json()
    return response.json()


def summary(conversation: dict) -> tuple:
    """(last status id, unread, participant usernames) of a Conversation entity."""
    return (
        conversation["last_status"]["id"],
        conversation["unread"],
        sorted(account["username"] for account in conversation["accounts"]),
    )


def dm(member, text: str, **extra) -> dict:
    return member.post(text, visibility="direct", **extra)


# Listing -------------------------------------------------------------------


def test_a_direct_message_is_a_conversation_unread_for_the_recipient_read_for_the_author(
    alice, bob
):
    # when alice writes to bob
    message = dm(alice, "@bob hello")

    # then each sees one conversation with the other; bob's is unread
    (for_bob,) = conversations(bob)
    (for_alice,) = conversations(alice)
    assert summary(for_bob) == (message["id"], True, ["alice"])
    assert summary(for_alice) == (message["id"], False, ["bob"])
    assert for_bob["last_status"]["visibility"] == "direct"
    assert for_bob["id"] != for_alice["id"]


def test_a_reply_in_the_thread_moves_the_last_status_and_marks_it_unread_for_the_other(alice, bob):
    # given alice wrote to bob
    first = dm(alice, "@bob hello")

    # when bob answers in the thread
    answer = dm(bob, "@alice hi!", in_reply_to_id=first["id"])

    # then both still hold one conversation, now ending with bob's answer
    assert [summary(c) for c in conversations(alice)] == [(answer["id"], True, ["bob"])]
    assert [summary(c) for c in conversations(bob)] == [(answer["id"], False, ["alice"])]
    assert AccountConversation.objects.count() == 2


def test_a_group_message_lists_every_other_participant(alice, bob, carol):
    dm(alice, "@bob @carol lunch?")

    assert summary(conversations(bob)[0])[2] == ["alice", "carol"]
    assert summary(conversations(alice)[0])[2] == ["bob", "carol"]


def test_a_direct_status_mentioning_nobody_is_a_conversation_with_oneself(alice):
    note = dm(alice, "a note to self")

    assert [summary(c) for c in conversations(alice)] == [(note["id"], False, ["alice"])]


def test_public_posts_and_replies_make_no_conversation(alice, bob):
    post = alice.post("@bob hello in public")
    bob.post("@alice hi", in_reply_to_id=post["id"], visibility="unlisted")

    assert conversations(alice) == conversations(bob) == []


def test_conversations_are_newest_last_status_first_and_paged_by_last_status_id(alice, bob, carol):
    # given three threads; the oldest one gets a new message last
    oldest = dm(alice, "@bob one")
    middle = dm(alice, "@carol two")
    newest = dm(alice, "@bob @carol three")
    revived = dm(bob, "@alice back to one", in_reply_to_id=oldest["id"])

    # when alice reads two at a time
    response = alice.client.get("/api/v1/conversations", {"limit": 2})
    first_page = response.json()
    link = response["Link"]

    # then the revived thread is first, and the cursors are last status ids
    assert [c["last_status"]["id"] for c in first_page] == [revived["id"], newest["id"]]
    assert f"max_id={newest['id']}" in link
    assert f"min_id={revived['id']}" in link
    older = conversations(alice, limit=2, max_id=newest["id"])
    assert [c["last_status"]["id"] for c in older] == [middle["id"]]
    newer = conversations(alice, min_id=middle["id"])
    assert [c["last_status"]["id"] for c in newer] == [revived["id"], newest["id"]]
    assert conversations(alice, since_id=newest["id"])[0]["last_status"]["id"] == revived["id"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"limit": "ten"}, "limit", id="limit-not-a-number"),
        pytest.param({"limit": "0"}, "limit", id="limit-zero"),
        pytest.param({"max_id": "-1"}, "max_id", id="negative-max-id"),
        pytest.param({"since_id": "x"}, "since_id", id="since-id-not-a-number"),
    ],
)
def test_bad_paging_is_a_422(alice, bob, params, field):
    dm(alice, "@bob hello")

    response = alice.client.get("/api/v1/conversations", params)

    assert response.status_code == 422
    assert field in response.json()["error"]


def test_listing_costs_the_same_for_two_and_twelve_conversations(alice):
    # given alice in two, then twelve, conversations with different people
    others = [Member(f"friend{n}") for n in range(12)]
    for other in others[:2]:
        dm(alice, f"@{other.account.username} hi")
    conversations(alice)  # warm what is cached per process

    with CaptureQueriesContext(connection) as two:
        assert len(conversations(alice)) == 2
    for other in others[2:]:
        dm(other, "@alice hi")
    with CaptureQueriesContext(connection) as twelve:
        assert len(conversations(alice)) == 12

    assert len(twelve) == len(two)


def test_listing_needs_a_signed_in_account(api_client):
    assert api_client.get("/api/v1/conversations").status_code == 401


# Reading and removing --------------------------------------------------------


def test_marking_read_answers_the_read_conversation(alice, bob):
    dm(alice, "@bob hello")
    (conversation,) = conversations(bob)

    response = bob.client.post(f"/api/v1/conversations/{conversation['id']}/read")

    assert response.status_code == 200
    assert response.json()["id"] == conversation["id"]
    assert response.json()["unread"] is False
    assert conversations(bob)[0]["unread"] is False


def test_removing_a_conversation_removes_it_for_the_viewer_only(alice, bob):
    message = dm(alice, "@bob hello")
    (conversation,) = conversations(bob)

    response = bob.client.delete(f"/api/v1/conversations/{conversation['id']}")

    assert (response.status_code, response.json()) == (200, {})
    assert conversations(bob) == []
    assert len(conversations(alice)) == 1
    assert Status.objects.filter(pk=message["id"]).exists()


def test_a_new_message_brings_a_removed_conversation_back(alice, bob):
    first = dm(alice, "@bob hello")
    bob.client.delete(f"/api/v1/conversations/{conversations(bob)[0]['id']}")

    again = dm(alice, "@bob are you there?", in_reply_to_id=first["id"])

    assert [summary(c) for c in conversations(bob)] == [(again["id"], True, ["alice"])]


@pytest.mark.parametrize(
    ("method", "suffix"), [("post", "/read"), ("delete", "")], ids=["read", "delete"]
)
def test_anothers_or_an_unknown_conversation_is_a_404_and_changes_nothing(
    alice, bob, carol, method, suffix
):
    # given bob's unread conversation with alice
    dm(alice, "@bob hello")
    (conversation,) = conversations(bob)
    rows = list(AccountConversation.objects.values_list("pk", "unread").order_by("pk"))

    # when carol (not in it) acts on it, and bob on an id that does not exist
    as_carol = getattr(carol.client, method)(f"/api/v1/conversations/{conversation['id']}{suffix}")
    unknown = getattr(bob.client, method)(
        f"/api/v1/conversations/{int(conversation['id']) + 1}{suffix}"
    )

    # then both are Mastodon's 404, and nothing changed
    assert (as_carol.status_code, as_carol.json()) == (404, NOT_FOUND)
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)
    assert list(AccountConversation.objects.values_list("pk", "unread").order_by("pk")) == rows


def test_reading_needs_the_write_conversations_scope(alice, bob, token_for):
    dm(alice, "@bob hello")
    (conversation,) = conversations(bob)
    bob.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(bob.account, scope='read')}")

    response = bob.client.post(f"/api/v1/conversations/{conversation['id']}/read")

    assert response.status_code == 403
    assert AccountConversation.objects.get(pk=conversation["id"]).unread is True


# Edits and deletions -------------------------------------------------------------


def test_deleting_the_last_status_moves_the_conversation_back_to_the_one_before(alice, bob):
    first = dm(alice, "@bob hello")
    second = dm(bob, "@alice hi", in_reply_to_id=first["id"])

    assert bob.client.delete(f"/api/v1/statuses/{second['id']}").status_code == 200

    assert [c["last_status"]["id"] for c in conversations(alice)] == [first["id"]]
    assert [c["last_status"]["id"] for c in conversations(bob)] == [first["id"]]


def test_deleting_the_only_status_removes_the_conversation_for_everyone(alice, bob):
    message = dm(alice, "@bob hello")

    assert alice.client.delete(f"/api/v1/statuses/{message['id']}").status_code == 200

    assert conversations(alice) == conversations(bob) == []
    assert not AccountConversation.objects.exists()


def test_an_edit_reaches_the_newly_mentioned_and_leaves_the_unmentioned(alice, bob, carol):
    # given alice wrote to bob
    message = dm(alice, "@bob hello")

    # when she edits it to address carol instead
    response = alice.client.put(f"/api/v1/statuses/{message['id']}", {"status": "@carol hello"})
    assert response.status_code == 200

    # then carol has it (unread), bob no longer does
    assert [summary(c)[:2] for c in conversations(carol)] == [(message["id"], True)]
    assert conversations(bob) == []


# Blocks, standing and privacy --------------------------------------------------


def test_a_recipient_who_blocks_the_author_gets_no_conversation(alice, bob):
    bob.client.post(f"/api/v1/accounts/{alice.id}/block")

    dm(alice, "@bob hello")

    assert conversations(bob) == []
    assert summary(conversations(alice)[0])[2] == ["bob"]


def test_a_block_after_the_message_hides_the_conversation(alice, bob):
    dm(alice, "@bob hello")

    bob.client.post(f"/api/v1/accounts/{alice.id}/block")

    assert conversations(bob) == []


def test_a_suspended_authors_conversation_is_hidden_and_a_suspended_participant_unlisted(
    alice, bob, carol
):
    # given a group conversation whose last message is carol's
    first = dm(alice, "@bob @carol hi")
    dm(carol, "@alice @bob hello", in_reply_to_id=first["id"])

    # when carol is suspended
    User.objects.filter(pk=carol.account.pk).update(standing=Standing.SUSPENDED)

    # then her message shows nowhere, nor does the conversation it ends
    assert conversations(bob) == []
    assert conversations(alice) == []


def test_a_suspended_participant_is_left_out_of_the_accounts(alice, bob, carol):
    message = dm(alice, "@bob @carol hi")

    User.objects.filter(pk=carol.account.pk).update(standing=Standing.SUSPENDED)

    assert [summary(c) for c in conversations(bob)] == [(message["id"], True, ["alice"])]


def test_a_direct_status_reaches_only_its_participants_through_every_endpoint(alice, bob, carol):
    # given carol follows alice, who writes to bob with a hashtag
    carol.follow(alice)
    bob.follow(alice)
    message = dm(alice, "@bob the #secret plan")
    paths = [
        f"/api/v1/statuses/{message['id']}",
        f"/api/v1/statuses/{message['id']}/context",
        f"/api/v1/accounts/{alice.id}/statuses",
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/secret",
        "/api/v2/search?q=plan&type=statuses",
        "/api/v1/notifications",
        "/api/v1/conversations",
    ]

    # when carol looks everywhere
    answers = [carol.client.get(path) for path in paths]

    # then she finds nothing of it
    assert answers[0].status_code == 404
    assert answers[1].status_code == 404
    for answer in answers[2:]:
        assert answer.status_code == 200
        assert message["id"] not in answer.content.decode()
    # while bob, mentioned, finds it where Mastodon shows it
    assert bob.client.get(paths[0]).status_code == 200
    assert message["id"] in bob.client.get(f"/api/v1/accounts/{alice.id}/statuses").content.decode()
    assert message["id"] in bob.client.get("/api/v1/notifications").content.decode()


# Thread mutes ------------------------------------------------------------------


def test_muting_a_thread_silences_its_notifications_and_shows_as_muted(alice, bob):
    # given bob is in a thread alice started
    root = alice.post("@bob what do you think?")

    # when bob mutes it
    response = bob.client.post(f"/api/v1/statuses/{root['id']}/mute")

    # then the status shows muted to bob only, and replies in it notify him no more
    assert (response.status_code, response.json()["muted"]) == (200, True)
    assert bob.client.get(f"/api/v1/statuses/{root['id']}").json()["muted"] is True
    assert alice.client.get(f"/api/v1/statuses/{root['id']}").json()["muted"] is False
    reply = alice.post("@bob still there?", in_reply_to_id=root["id"])
    assert bob.client.get(f"/api/v1/statuses/{reply['id']}").json()["muted"] is True
    assert not Notification.objects.filter(account=bob.account, status_id=reply["id"]).exists()
    elsewhere = alice.post("@bob another topic")
    assert Notification.objects.filter(account=bob.account, status_id=elsewhere["id"]).exists()


def test_unmuting_a_thread_brings_its_notifications_back(alice, bob):
    root = alice.post("@bob what do you think?")
    bob.client.post(f"/api/v1/statuses/{root['id']}/mute")

    response = bob.client.post(f"/api/v1/statuses/{root['id']}/unmute")

    assert (response.status_code, response.json()["muted"]) == (200, False)
    reply = alice.post("@bob still there?", in_reply_to_id=root["id"])
    assert Notification.objects.filter(account=bob.account, status_id=reply["id"]).exists()


def test_muting_a_thread_is_idempotent_and_shows_in_timelines(alice, bob):
    bob.follow(alice)
    root = alice.post("a thread")

    bob.client.post(f"/api/v1/statuses/{root['id']}/mute")
    bob.client.post(f"/api/v1/statuses/{root['id']}/mute")

    assert ConversationMute.objects.filter(account=bob.account).count() == 1
    (shown,) = bob.client.get("/api/v1/timelines/home").json()
    assert shown["muted"] is True
    assert alice.client.get("/api/v1/timelines/home").json()[0]["muted"] is False


def test_a_muted_direct_thread_keeps_its_messages_but_not_its_notifications(alice, bob):
    first = dm(alice, "@bob hello")
    bob.client.post(f"/api/v1/statuses/{first['id']}/mute")

    second = dm(alice, "@bob hello?", in_reply_to_id=first["id"])

    assert not Notification.objects.filter(account=bob.account, status_id=second["id"]).exists()
    assert conversations(bob)[0]["last_status"]["id"] == first["id"]
    assert conversations(bob)[0]["last_status"]["muted"] is True


@pytest.mark.parametrize("action", ["mute", "unmute"])
def test_muting_a_status_one_may_not_see_is_a_404_and_writes_nothing(alice, bob, carol, action):
    message = dm(alice, "@bob secret")

    response = carol.client.post(f"/api/v1/statuses/{message['id']}/{action}")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert not ConversationMute.objects.exists()


def test_muting_needs_the_write_mutes_scope(alice, bob, token_for):
    root = alice.post("a thread")
    bob.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(bob.account, scope='read')}")

    response = bob.client.post(f"/api/v1/statuses/{root['id']}/mute")

    assert response.status_code == 403
    assert not ConversationMute.objects.exists()


# The direct stream -------------------------------------------------------------


async def next_conversation(stream) -> dict:
    message = await stream.receive_json_from(timeout=TIMEOUT)
    assert message["event"] == "conversation", message
    return {**message, "payload": json.loads(message["payload"])}


@pytest.mark.django_db(transaction=True)
def test_the_direct_stream_carries_the_conversation_to_each_participant_only(
    alice, bob, carol, token_for
):
    bob_token = token_for(bob.account, scope="read")
    carol_token = token_for(carol.account, scope="read:statuses")

    async def scenario():
        bob_stream = await open_stream(bob_token, "stream=direct")
        carol_stream = await open_stream(carol_token, "stream=direct")

        # when alice writes to bob, then carol writes a note to herself (the marker)
        message = await sync_to_async(dm)(alice, "@bob psst")
        marker = await sync_to_async(dm)(carol, "note to self")

        # then bob gets the Conversation; carol only her own
        event = await next_conversation(bob_stream)
        assert event["stream"] == ["direct"]
        assert summary(event["payload"]) == (message["id"], True, ["alice"])
        own = await next_conversation(carol_stream)
        assert own["payload"]["last_status"]["id"] == marker["id"]
        await bob_stream.disconnect()
        await carol_stream.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_the_direct_stream_needs_a_reading_scope(bob, token_for):
    token = token_for(bob.account, scope="write")

    async def scenario():
        stream = await open_stream(token, "stream=direct")
        refusal = await stream.receive_json_from(timeout=TIMEOUT)
        assert refusal == {"error": "Access token does not have the required scopes", "status": 401}
        await stream.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_direct_status_stays_off_every_stream_of_one_not_in_it(alice, bob, carol, token_for):
    # given carol follows alice and listens to her user, direct, public and #secret streams
    carol.follow(alice)
    token = token_for(carol.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=user")
        for subscription in (
            {"stream": "direct"},
            {"stream": "public"},
            {"stream": "hashtag", "tag": "secret"},
        ):
            await stream.send_json_to({"type": "subscribe", **subscription})
        await settle(stream)

        # when alice writes to bob with the tag, then posts a public marker with it
        await sync_to_async(dm)(alice, "@bob the #secret plan")
        marker = await sync_to_async(alice.post)("the #secret is out")

        # then carol's first events are the marker's, on user, public and hashtag
        heard = []
        for _ in range(3):
            message = await stream.receive_json_from(timeout=TIMEOUT)
            heard.append((message["stream"][0], message["event"]))
            assert json.loads(message["payload"])["id"] == marker["id"]
        assert sorted(heard) == [("hashtag", "update"), ("public", "update"), ("user", "update")]
        assert await stream.receive_nothing(timeout=0.2)
        await stream.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_the_direct_stream_over_server_sent_events(alice, bob):
    async def scenario():
        response = await AsyncClient().get(
            "/api/v1/streaming/direct", headers={"Authorization": f"Bearer {bob.token}"}
        )
        assert response.status_code == 200
        stream = aiter(response.streaming_content)

        message = await sync_to_async(dm)(alice, "@bob over SSE")

        while True:
            chunk = await asyncio.wait_for(anext(stream), TIMEOUT)
            chunk = chunk.decode() if isinstance(chunk, bytes) else chunk
            if not chunk.startswith(":"):
                break
        lines = dict(line.split(": ", 1) for line in chunk.strip().split("\n"))
        assert lines["event"] == "conversation"
        assert summary(json.loads(lines["data"])) == (message["id"], True, ["alice"])
        await response.streaming_content.aclose()

    run(scenario)


def test_a_direct_message_costs_the_same_for_one_and_ten_recipients(alice):
    # given ten accounts, and a first message that warms what is cached per process
    named = [Member(f"reader{n}").account for n in range(10)]
    dm(alice, "@reader0 warm up")

    # when alice writes to one of them, then to all ten, each in a thread of its own
    with CaptureQueriesContext(connection) as one:
        services.status_create(author=alice.account, text="@reader0 hi", visibility="direct")
    everyone = " ".join(f"@{account.username}" for account in named)
    with CaptureQueriesContext(connection) as ten:
        services.status_create(author=alice.account, text=everyone, visibility="direct")

    # then the cost is flat, and each of them holds the group conversation
    assert len(ten) == len(one)
    assert AccountConversation.objects.filter(account__in=named).count() == 10 + 2
