"""Mastodon 4.3's notification policies and requests, through the API.

A recipient's policy accepts, filters or drops notifications from five kinds of
sender; filtered mentions wait in a request per sender, which the recipient
accepts (the notifications join the list, the sender's next ones come through)
or dismisses (they go). The shield's interface (``notifications_shield_set``,
``notifications_filtered_count``) filters strangers and new accounts for a while.
"""

import datetime as dt
import re

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Standing, User
from apps.feed.models import (
    AccountConversation,
    Follow,
    Notification,
    NotificationPermission,
    NotificationPolicy,
    NotificationRequest,
)
from apps.feed.services.notification_policies import (
    notifications_filtered_count,
    notifications_shield_set,
)
from tests.feed.conftest import Member
from tests.feed.test_streaming import next_event, open_stream, run

pytestmark = pytest.mark.django_db

POLICY = "/api/v2/notifications/policy"
REQUESTS = "/api/v1/notifications/requests"
NOT_FOUND = {"error": "Record not found"}
DEFAULTS = {
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
    "for_private_mentions": "filter",
    "for_limited_accounts": "filter",
}


@pytest.fixture
def dave(db):
    return Member("dave")


def set_policy(member: Member, **settings) -> dict:
    response = member.client.patch(POLICY, settings, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def outcome(recipient: Member, sender: Member) -> str:
    """What became of the sender's latest notification to the recipient."""
    notification = (
        Notification.objects.filter(account=recipient.account, from_account=sender.account)
        .order_by("-id")
        .first()
    )
    if notification is None:
        return "drop"
    return "filter" if notification.filtered else "accept"


def favourite(member: Member, status_id: str) -> None:
    response = member.client.post(f"/api/v1/statuses/{status_id}/favourite")
    assert response.status_code == 200, response.json()


def listed_ids(member: Member, path: str = "/api/v1/notifications", **query) -> list[str]:
    response = member.client.get(path, query)
    assert response.status_code == 200, response.json()
    return [notification["id"] for notification in response.json()]


def dm(sender: Member, recipient: Member, text: str = "psst", **extra) -> dict:
    return sender.post(f"@{recipient.account.username} {text}", visibility="direct", **extra)


def age(member: Member, days: int) -> None:
    User.objects.filter(pk=member.account.pk).update(
        date_joined=timezone.now() - dt.timedelta(days=days)
    )
    member.account.refresh_from_db()


def requests_of(member: Member, **query) -> list[dict]:
    response = member.client.get(REQUESTS, query)
    assert response.status_code == 200, response.json()
    return response.json()


# The policy -----------------------------------------------------------------------


def test_the_policy_starts_with_mastodons_defaults(alice):
    response = alice.client.get(POLICY)

    assert response.status_code == 200
    assert response.json() == {
        **DEFAULTS,
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }
    assert not NotificationPolicy.objects.exists()


def test_patching_changes_only_the_settings_given(alice):
    body = set_policy(alice, for_not_following="drop", for_new_accounts="filter")

    assert body == {
        **DEFAULTS,
        "for_not_following": "drop",
        "for_new_accounts": "filter",
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }
    body = set_policy(alice, for_private_mentions="accept")
    assert (body["for_not_following"], body["for_private_mentions"]) == ("drop", "accept")
    assert alice.client.get(POLICY).json() == body


def test_a_form_body_is_read_as_well(alice):
    response = alice.client.patch(
        POLICY, "for_limited_accounts=drop", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["for_limited_accounts"] == "drop"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param({"for_not_following": "block"}, "for_not_following", "must be one of accept, filter or drop", id="unknown-value"),
        pytest.param({"for_not_following": 1}, "for_not_following", "must be one of accept, filter or drop", id="number"),
        pytest.param({"for_new_accounts": ["drop"]}, "for_new_accounts", "must be one of accept, filter or drop", id="list"),
        pytest.param({"for_new_accounts": None}, "for_new_accounts", "must be one of accept, filter or drop", id="null"),
        pytest.param({"for_everyone": "drop"}, "for_everyone", "is not a notification policy setting", id="unknown-key"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_a_422_and_nothing_is_saved(alice, body, field, message):
    # given alice changed one setting already
    set_policy(alice, for_not_followers="filter")

    # when she sends a valid setting with a bad one
    response = alice.client.patch(POLICY, {"for_private_mentions": "drop", **body}, format="json")

    # then it is refused, naming the field, and nothing changed
    assert response.status_code == 422
    assert response.json()["details"][field][0]["description"] == message
    assert field in response.json()["error"]
    policy = NotificationPolicy.objects.get(account=alice.account)
    assert (policy.for_not_followers, policy.for_private_mentions) == ("filter", "filter")


def test_a_body_that_is_not_an_object_is_a_422(alice):
    response = alice.client.patch(POLICY, ["accept"], format="json")

    assert response.status_code == 422
    assert not NotificationPolicy.objects.exists()


def test_the_v1_policy_speaks_booleans(alice):
    assert alice.client.get("/api/v1/notifications/policy").json() == {
        "filter_not_following": False,
        "filter_not_followers": False,
        "filter_new_accounts": False,
        "filter_private_mentions": True,
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }

    response = alice.client.put(
        "/api/v1/notifications/policy",
        {"filter_not_following": True, "filter_private_mentions": False},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["filter_not_following"] is True
    assert response.json()["filter_private_mentions"] is False
    policy = NotificationPolicy.objects.get(account=alice.account)
    assert (policy.for_not_following, policy.for_private_mentions) == ("filter", "accept")


@pytest.mark.parametrize(
    "body",
    [{"filter_not_following": "maybe"}, {"for_not_following": "drop"}],
    ids=["not-a-boolean", "v2-key"],
)
def test_a_bad_v1_setting_is_a_422_and_nothing_is_saved(alice, body):
    response = alice.client.put("/api/v1/notifications/policy", body, format="json")

    assert response.status_code == 422
    assert not NotificationPolicy.objects.exists()


def test_the_policy_needs_the_notification_scopes(alice, token_for):
    from tests.api_client import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(alice.account, scope='read')}")

    assert client.get(POLICY).status_code == 200
    assert client.patch(POLICY, {"for_not_following": "drop"}, format="json").status_code == 403
    assert not NotificationPolicy.objects.exists()


# Each setting -----------------------------------------------------------------------


@pytest.mark.parametrize("action", ["accept", "filter", "drop"])
def test_not_following_applies_to_senders_the_recipient_does_not_follow(alice, bob, carol, action):
    # given alice follows carol but not bob, and her policy for strangers is ``action``
    alice.follow(carol)
    set_policy(alice, for_not_following=action)
    status = alice.post("hello")

    # when both favourite her status
    favourite(bob, status["id"])
    favourite(carol, status["id"])

    # then bob's favourite gets ``action``, carol's is accepted
    assert outcome(alice, bob) == action
    assert outcome(alice, carol) == "accept"


@pytest.mark.parametrize(
    ("followed_days_ago", "expected"),
    [
        pytest.param(None, "filter", id="not-a-follower"),
        pytest.param(1, "filter", id="follower-for-a-day"),
        pytest.param(4, "accept", id="follower-for-four-days"),
    ],
)
def test_not_followers_applies_to_new_and_non_followers(alice, bob, followed_days_ago, expected):
    set_policy(alice, for_not_followers="filter")
    if followed_days_ago is not None:
        follow = Follow.objects.create(account=bob.account, target=alice.account)
        Follow.objects.filter(pk=follow.pk).update(
            created_at=timezone.now() - dt.timedelta(days=followed_days_ago)
        )
    status = alice.post("hello")

    favourite(bob, status["id"])

    assert outcome(alice, bob) == expected


@pytest.mark.parametrize(
    ("joined_days_ago", "followed", "expected"),
    [
        pytest.param(1, False, "drop", id="new-account"),
        pytest.param(29, False, "drop", id="29-days-old"),
        pytest.param(31, False, "accept", id="31-days-old"),
        pytest.param(1, True, "accept", id="new-but-followed"),
    ],
)
def test_new_accounts_applies_to_accounts_younger_than_30_days(
    alice, bob, joined_days_ago, followed, expected
):
    set_policy(alice, for_new_accounts="drop")
    age(bob, joined_days_ago)
    if followed:
        alice.follow(bob)

    bob.post("@alice hi")

    assert outcome(alice, bob) == expected


def test_private_mentions_are_filtered_by_default_but_public_ones_are_not(alice, bob, carol):
    bob.post("@alice in public")
    assert outcome(alice, bob) == "accept"

    dm(bob, alice)
    assert outcome(alice, bob) == "filter"

    # a followed sender's private mention comes through
    alice.follow(carol)
    dm(carol, alice)
    assert outcome(alice, carol) == "accept"


def test_a_private_mention_answering_the_recipients_own_is_accepted(alice, bob, carol):
    # given alice wrote bob privately (bob follows no one, alice does not follow him)
    first = dm(alice, bob, "lunch?")

    # when bob answers her in the thread, and carol, a stranger, writes to her too
    dm(bob, alice, "yes", in_reply_to_id=first["id"])
    dm(carol, alice, "hello")

    # then bob's answer arrives, carol's is filtered
    assert outcome(alice, bob) == "accept"
    assert outcome(alice, carol) == "filter"


@pytest.mark.parametrize(
    ("action", "followed", "expected"),
    [
        pytest.param("filter", False, "filter", id="default-filter"),
        pytest.param("drop", False, "drop", id="drop"),
        pytest.param("accept", False, "accept", id="accept"),
        pytest.param("drop", True, "accept", id="followed"),
    ],
)
def test_limited_accounts_applies_to_senders_whose_standing_is_limited(
    alice, bob, action, followed, expected
):
    set_policy(alice, for_limited_accounts=action)
    if followed:
        alice.follow(bob)
    User.objects.filter(pk=bob.account.pk).update(standing=Standing.LIMITED)
    bob.account.refresh_from_db()

    bob.follow(alice)

    assert outcome(alice, bob) == expected


def test_drop_wins_over_filter(alice, bob):
    set_policy(alice, for_not_following="filter", for_new_accounts="drop")

    bob.post("@alice hi")

    assert outcome(alice, bob) == "drop"
    assert not NotificationRequest.objects.exists()


def test_types_mastodon_never_filters_come_through(alice, bob):
    # given alice reblogged bob's status, and drops everything from strangers
    status = bob.post("original")
    response = alice.client.post(f"/api/v1/statuses/{status['id']}/reblog")
    assert response.status_code == 200
    set_policy(alice, for_not_following="drop", for_not_followers="drop")

    # when bob edits it
    response = bob.client.put(f"/api/v1/statuses/{status['id']}", {"status": "edited"})
    assert response.status_code == 200, response.json()

    # then alice is told of the edit
    update = Notification.objects.get(account=alice.account, type="update")
    assert update.filtered is False


def test_staff_are_never_filtered(alice, bob):
    set_policy(alice, for_not_following="drop")
    User.objects.filter(pk=bob.account.pk).update(is_staff=True)
    bob.account.refresh_from_db()

    dm(bob, alice, "from the team")

    assert outcome(alice, bob) == "accept"


# Filtered notifications and their lists ----------------------------------------------


def test_filtered_notifications_are_listed_only_when_asked(alice, bob, carol):
    # given bob's private mention of alice is filtered, carol's public one is not
    dm(bob, alice)
    carol.post("@alice hi")
    held = Notification.objects.get(from_account=bob.account)
    shown = Notification.objects.get(from_account=carol.account)

    # then the lists leave bob's out, unless asked for it or for bob's
    assert listed_ids(alice) == [str(shown.pk)]
    assert listed_ids(alice, include_filtered="true") == [str(shown.pk), str(held.pk)]
    assert listed_ids(alice, account_id=bob.id) == [str(held.pk)]
    grouped = alice.client.get("/api/v2/notifications").json()
    assert [g["group_key"] for g in grouped["notification_groups"]] == [f"ungrouped-{shown.pk}"]
    grouped = alice.client.get("/api/v2/notifications", {"include_filtered": "true"}).json()
    assert len(grouped["notification_groups"]) == 2
    assert alice.client.get("/api/v1/notifications/unread_count").json() == {"count": 1}
    assert alice.client.get("/api/v2/notifications/unread_count").json() == {"count": 1}


def test_a_filtered_mention_opens_a_request_that_counts_them(alice, bob):
    dm(bob, alice, "one")
    last = dm(bob, alice, "two")

    (request,) = requests_of(alice)

    assert request["account"]["id"] == bob.id
    assert request["notifications_count"] == "2"
    assert request["last_status"]["id"] == last["id"]
    assert set(request) == {
        "id", "created_at", "updated_at", "notifications_count", "account", "last_status"
    }  # fmt: skip
    summary = alice.client.get(POLICY).json()["summary"]
    assert summary == {"pending_requests_count": 1, "pending_notifications_count": 2}


def test_a_filtered_favourite_waits_without_a_request(alice, bob):
    # Mastodon gathers only mentions in requests; other filtered types wait for include_filtered
    set_policy(alice, for_not_following="filter")
    status = alice.post("hello")

    favourite(bob, status["id"])

    assert outcome(alice, bob) == "filter"
    assert requests_of(alice) == []


def test_clearing_keeps_what_waits_in_requests(alice, bob, carol):
    dm(bob, alice)
    carol.post("@alice hi")

    assert alice.client.post("/api/v1/notifications/clear").status_code == 200

    assert list(Notification.objects.values_list("from_account", flat=True)) == [bob.account.pk]
    assert requests_of(alice)[0]["notifications_count"] == "1"


def test_dismissing_a_filtered_notification_recounts_its_request(alice, bob):
    dm(bob, alice, "one")
    dm(bob, alice, "two")
    first, second = Notification.objects.filter(account=alice.account).order_by("id")

    alice.client.post(f"/api/v1/notifications/{second.pk}/dismiss")
    assert requests_of(alice)[0]["notifications_count"] == "1"

    alice.client.post(f"/api/v1/notifications/{first.pk}/dismiss")
    assert requests_of(alice) == []


# Requests ------------------------------------------------------------------------------


def make_requests(recipient: Member, count: int) -> list[Member]:
    senders = [Member(f"stranger{i}") for i in range(count)]
    for sender in senders:
        dm(sender, recipient)
    return senders


def test_requests_are_paged_newest_first_with_links(alice):
    senders = make_requests(alice, 3)

    response = alice.client.get(REQUESTS, {"limit": 2})

    assert response.status_code == 200
    page = response.json()
    assert [r["account"]["id"] for r in page] == [senders[2].id, senders[1].id]
    links = {
        rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])
    }
    older = alice.client.get(links["next"]).json()
    assert [r["account"]["id"] for r in older] == [senders[0].id]


def test_listing_requests_costs_the_same_for_one_and_six(alice):
    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            requests_of(alice)
        return len(queries)

    make_requests(alice, 1)
    one = cost()
    make_requests_more = [Member(f"more{i}") for i in range(5)]
    for sender in make_requests_more:
        dm(sender, alice)
    assert len(requests_of(alice)) == 6
    assert cost() == one


def test_a_request_is_shown_to_its_recipient_only(alice, bob, carol):
    dm(bob, alice)
    request = NotificationRequest.objects.get()

    response = alice.client.get(f"{REQUESTS}/{request.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == str(request.pk)

    for path in (f"{REQUESTS}/{request.pk}", f"{REQUESTS}/999"):
        response = carol.client.get(path)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    for action in ("accept", "dismiss"):
        response = carol.client.post(f"{REQUESTS}/{request.pk}/{action}")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert NotificationRequest.objects.filter(pk=request.pk).exists()
    assert not NotificationPermission.objects.exists()


def test_accepting_a_request_merges_it_and_lets_the_sender_through(alice, bob):
    # given bob's two private mentions wait in a request
    dm(bob, alice, "one")
    dm(bob, alice, "two")
    request = NotificationRequest.objects.get()

    # when alice accepts it
    response = alice.client.post(f"{REQUESTS}/{request.pk}/accept")

    # then the request is gone, the mentions are in her list and her conversations
    assert (response.status_code, response.json()) == (200, {})
    assert requests_of(alice) == []
    assert len(listed_ids(alice)) == 2
    # (two separate threads)
    assert AccountConversation.objects.filter(account=alice.account).count() == 2
    assert alice.client.get(f"{REQUESTS}/merged").json() == {"merged": True}
    # and bob's next private mention comes straight through
    dm(bob, alice, "three")
    assert outcome(alice, bob) == "accept"
    assert len(listed_ids(alice)) == 3


def test_dismissing_a_request_removes_it_and_its_notifications(alice, bob, carol):
    dm(bob, alice)
    carol.post("@alice hi")
    request = NotificationRequest.objects.get()

    response = alice.client.post(f"{REQUESTS}/{request.pk}/dismiss")

    assert (response.status_code, response.json()) == (200, {})
    assert not NotificationRequest.objects.exists()
    assert not Notification.objects.filter(from_account=bob.account).exists()
    assert Notification.objects.filter(from_account=carol.account).exists()
    # bob is not let through: his next private mention opens a new request
    dm(bob, alice)
    assert outcome(alice, bob) == "filter"
    assert len(requests_of(alice)) == 1


@pytest.mark.parametrize("action", ["accept", "dismiss"])
def test_requests_are_accepted_or_dismissed_in_bulk(alice, carol, action):
    # given three strangers' requests to alice, and one to carol
    senders = make_requests(alice, 3)
    dm(senders[0], carol)
    mine = list(NotificationRequest.objects.filter(account=alice.account).order_by("id"))
    carols = NotificationRequest.objects.get(account=carol.account)

    # when alice acts on two of hers and on carol's, as a form with id[]
    response = alice.client.post(
        f"{REQUESTS}/{action}",
        f"id[]={mine[0].pk}&id[]={mine[1].pk}&id[]={carols.pk}",
        content_type="application/x-www-form-urlencoded",
    )

    # then her two are gone, her third and carol's stay
    assert (response.status_code, response.json()) == (200, {})
    assert [r["id"] for r in requests_of(alice)] == [str(mine[2].pk)]
    assert NotificationRequest.objects.filter(pk=carols.pk).exists()
    held = Notification.objects.filter(account=alice.account, filtered=True).count()
    kept = Notification.objects.filter(account=alice.account, filtered=False).count()
    assert (held, kept) == ((1, 2) if action == "accept" else (1, 0))


def test_bulk_ids_may_come_as_json(alice):
    make_requests(alice, 2)
    ids = [str(pk) for pk in NotificationRequest.objects.values_list("pk", flat=True)]

    response = alice.client.post(f"{REQUESTS}/accept", {"id": ids}, format="json")

    assert response.status_code == 200
    assert requests_of(alice) == []


@pytest.mark.parametrize(
    "body",
    [{}, {"id": []}, {"id": ["abc"]}, {"id": [{"x": 1}]}, {"id": "1x"}],
    ids=["none", "empty", "not-a-number", "object", "bad-single"],
)
def test_bulk_without_good_ids_is_a_422_and_changes_nothing(alice, body):
    make_requests(alice, 1)

    for action in ("accept", "dismiss"):
        response = alice.client.post(f"{REQUESTS}/{action}", body, format="json")
        assert response.status_code == 422
        assert "id" in response.json()["details"]

    assert NotificationRequest.objects.count() == 1
    assert Notification.objects.filter(filtered=True).count() == 1


# Streaming --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_filtered_notifications_are_not_streamed(alice, bob, carol, token_for):
    # given alice follows carol and listens to her notifications
    alice.follow(carol)
    token = token_for(alice.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=user:notification")

        # when bob (a stranger) then carol write to her privately
        await sync_to_async(dm)(bob, alice, "filtered")
        await sync_to_async(dm)(carol, alice, "shown")

        # then only carol's mention is streamed
        event = await next_event(stream)
        assert event["event"] == "notification"
        assert event["payload"]["account"]["id"] == carol.id
        assert await stream.receive_nothing(timeout=0.3)

        # and accepting bob's request streams notifications_merged
        request = await sync_to_async(NotificationRequest.objects.get)()
        response = await sync_to_async(alice.client.post)(f"{REQUESTS}/{request.pk}/accept")
        assert response.status_code == 200
        merged = await stream.receive_json_from(timeout=5)
        assert (merged["event"], merged["payload"]) == ("notifications_merged", "1")
        await stream.disconnect()

    run(scenario)


# Query counts -------------------------------------------------------------------------------


def test_the_policy_decision_costs_the_same_for_one_and_ten_recipients(alice):
    """A direct mention of many, each with a policy filtering or dropping strangers, new
    accounts and non-followers: the decision reads each fact once for all recipients."""
    age(alice, 10)  # new to Mastodon's policy (< 30 days), past protection's new days

    def recipients(prefix: str, count: int) -> list[Member]:
        members = [Member(f"{prefix}{i}") for i in range(count)]
        for i, member in enumerate(members):
            NotificationPolicy.objects.create(
                account=member.account,
                for_not_followers="filter",
                for_new_accounts="drop" if i % 2 else "accept",
                strict_until=timezone.now() + dt.timedelta(hours=1),
            )
        return members

    def cost(members: list[Member]) -> int:
        names = " ".join(f"@{m.account.username}" for m in members)
        with CaptureQueriesContext(connection) as queries:
            alice.post(f"{names} hi", visibility="direct")
        return len(queries)

    two = recipients("two", 2)
    ten = recipients("ten", 10)
    assert cost(two) == cost(ten)
    # the odd ones drop new accounts; the even ones' strict policy filters
    assert Notification.objects.filter(filtered=True).count() == 1 + 5
    assert Notification.objects.count() == 1 + 5


# The shield's interface -------------------------------------------------------------------


def test_the_shield_filters_strangers_and_new_accounts_until_it_ends(alice, bob, carol, dave):
    # given alice follows carol (a new account) and accepts everything; dave is new too
    set_policy(alice, **dict.fromkeys(DEFAULTS, "accept"))
    alice.follow(carol)
    age(carol, 2)
    age(dave, 2)
    status = alice.post("hello")
    before = timezone.now()

    # when the shield is up, bob (a stranger), dave (a new stranger) and carol favourite it
    notifications_shield_set(
        account_id=alice.account.pk, until=timezone.now() + dt.timedelta(hours=1)
    )
    favourite(bob, status["id"])
    favourite(dave, status["id"])
    favourite(carol, status["id"])

    # then the strangers are filtered; carol, new but followed, is alice's own choice
    assert (outcome(alice, bob), outcome(alice, dave), outcome(alice, carol)) == (
        "filter",
        "filter",
        "accept",
    )
    assert (
        notifications_filtered_count(
            account_id=alice.account.pk, since=before, until=timezone.now()
        )
        == 2
    )
    assert (
        notifications_filtered_count(account_id=alice.account.pk, since=before, until=before) == 0
    )

    # and once it ends, bob's next notification comes through
    notifications_shield_set(account_id=alice.account.pk, until=None)
    bob.post("@alice hi")
    assert outcome(alice, bob) == "accept"


def test_the_shield_keeps_drop_and_lets_old_followed_accounts_through(alice, bob, carol):
    set_policy(alice, for_not_following="drop")
    alice.follow(carol)
    age(carol, 100)
    notifications_shield_set(
        account_id=alice.account.pk, until=timezone.now() + dt.timedelta(hours=1)
    )

    bob.post("@alice hi")
    carol.post("@alice hi")

    assert (outcome(alice, bob), outcome(alice, carol)) == ("drop", "accept")


def test_a_shield_that_has_passed_filters_nothing(alice, bob):
    notifications_shield_set(
        account_id=alice.account.pk, until=timezone.now() - dt.timedelta(minutes=1)
    )

    bob.post("@alice hi")

    assert outcome(alice, bob) == "accept"
    assert NotificationPolicy.objects.get(account=alice.account).for_not_following == "accept"


@pytest.mark.parametrize("how", ["deleted", "removed-by-moderation"])
def test_a_gone_status_leaves_its_request(alice, bob, how):
    from apps.feed import services

    dm(bob, alice, "one")
    last = dm(bob, alice, "two")

    if how == "deleted":
        response = bob.client.delete(f"/api/v1/statuses/{last['id']}")
        assert response.status_code == 200
    else:
        services.status_moderate(status_id=int(last["id"]), state="removed")

    (request,) = requests_of(alice)
    assert request["notifications_count"] == "1"
    first = Notification.objects.get(account=alice.account)
    response = alice.client.post(f"/api/v1/notifications/{first.pk}/dismiss")
    assert response.status_code == 200
    assert requests_of(alice) == []


@pytest.mark.parametrize("action", ["accept", "dismiss"])
def test_acting_in_bulk_costs_the_same_for_one_and_five_requests(alice, action):
    # public mentions filtered as from strangers: no conversation to reach
    set_policy(alice, for_not_following="filter")

    def cost(prefix: str, count: int) -> int:
        for i in range(count):
            Member(f"{prefix}{i}").post("@alice hi")
        ids = list(NotificationRequest.objects.values_list("pk", flat=True))
        assert len(ids) == count
        with CaptureQueriesContext(connection) as queries:
            response = alice.client.post(f"{REQUESTS}/{action}", {"id": ids}, format="json")
        assert response.status_code == 200
        assert not NotificationRequest.objects.exists()
        return len(queries)

    assert cost("one", 1) == cost("five", 5)
