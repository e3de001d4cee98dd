"""Queries that must not grow with the data: posting to followers who asked to be
notified, and a status's context (ancestors and descendants)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.feed import services
from apps.feed.models import Block, Follow, Mute, Notification, Status
from tests.accounts.factories import UserFactory
from tests.feed.factories import StatusFactory

pytestmark = pytest.mark.django_db


def notified_followers(author, count: int) -> list:
    followers = [UserFactory() for _ in range(count)]
    Follow.objects.bulk_create(
        [Follow(account=follower, target=author, notify=True) for follower in followers]
    )
    return followers


def queries_to_post(author) -> int:
    with CaptureQueriesContext(connection) as captured:
        services.status_create(author=author, text="news")
    return len(captured)


def test_posting_costs_the_same_for_one_and_fifty_notified_followers():
    # given: a first post warms what is cached per process
    services.status_create(author=UserFactory(), text="warm up")
    few, many = UserFactory(), UserFactory()
    notified_followers(few, 1)
    notified_followers(many, 50)

    # when
    for_one, for_fifty = queries_to_post(few), queries_to_post(many)

    # then
    assert for_fifty == for_one
    assert Notification.objects.filter(from_account=many, type="status").count() == 50


def test_a_post_notifies_the_followers_who_asked_except_those_blocked_or_muting():
    # given
    author = UserFactory()
    asked, blocking, blocked, muting, muted_lapsed, unasked = notified_followers(author, 6)
    Follow.objects.filter(account=unasked).update(notify=False)
    Block.objects.create(account=blocking, target=author)
    Block.objects.create(account=author, target=blocked)
    Mute.objects.create(account=muting, target=author)
    Mute.objects.create(
        account=muted_lapsed, target=author, expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    # when
    status = services.status_create(author=author, text="news")

    # then
    notified = Notification.objects.filter(from_account=author, type="status", status=status)
    assert set(notified.values_list("account_id", flat=True)) == {asked.pk, muted_lapsed.pk}


def test_a_muter_who_still_wants_notifications_is_notified():
    # given
    author = UserFactory()
    (follower,) = notified_followers(author, 1)
    Mute.objects.create(account=follower, target=author, hide_notifications=False)

    # when
    services.status_create(author=author, text="news")

    # then
    assert Notification.objects.filter(account=follower, type="status").count() == 1


@pytest.mark.parametrize(
    "visibility",
    [pytest.param("direct", id="direct")],
)
def test_a_direct_message_notifies_no_follower(visibility):
    # given
    author = UserFactory()
    notified_followers(author, 2)

    # when
    services.status_create(author=author, text="psst", visibility=visibility)

    # then
    assert not Notification.objects.filter(type="status").exists()


def test_mentions_cost_the_same_for_one_and_ten_accounts():
    # given
    services.status_create(author=UserFactory(), text="warm up")
    named = [UserFactory(username=f"named{n}") for n in range(10)]
    author = UserFactory()

    # when
    with CaptureQueriesContext(connection) as one:
        services.status_create(author=author, text="hi @named0")
    with CaptureQueriesContext(connection) as ten:
        services.status_create(
            author=author, text=" ".join(f"@{account.username}" for account in named)
        )

    # then
    assert len(ten) == len(one)
    assert Notification.objects.filter(type="mention").count() == 11
    assert Status.objects.filter(account=author).count() == 2


# A status's context ----------------------------------------------------------


def chain(length: int, *, root=None, **fields) -> list[Status]:
    """``length`` statuses, each replying to the one before (to ``root`` first)."""
    statuses, parent = [], root
    for _ in range(length):
        parent = StatusFactory(in_reply_to=parent, **fields)
        statuses.append(parent)
    return statuses


def context_of(member, status) -> dict:
    response = member.client.get(f"/api/v1/statuses/{status.pk}/context")
    assert response.status_code == 200, response.json()
    body = response.json()
    return {
        "ancestors": [int(s["id"]) for s in body["ancestors"]],
        "descendants": [int(s["id"]) for s in body["descendants"]],
    }


def queries_for_context(member, status) -> int:
    with CaptureQueriesContext(connection) as captured:
        context_of(member, status)
    return len(captured)


def test_context_costs_the_same_for_one_and_fifty_ancestors(alice):
    # given
    short, long = chain(2), chain(51)
    context_of(alice, chain(2)[-1])  # warm up

    # when
    for_one, for_fifty = queries_for_context(alice, short[-1]), queries_for_context(alice, long[-1])

    # then
    assert for_fifty == for_one
    assert context_of(alice, long[-1])["ancestors"] == [s.pk for s in long[:-1]]


def test_members_only_ancestors_cost_a_member_the_same_for_one_and_fifty(alice, bob):
    # given bob pays the author of two threads of members-only statuses (a provider that
    # reads the database once a call, as billing's does)
    from core import memberships

    author = UserFactory()
    short, long = (
        chain(2, account=author, members_only=True),
        chain(51, account=author, members_only=True),
    )
    previous = (memberships._provider, memberships._bulk_provider)

    def creators(fan_id: int) -> frozenset[int]:
        # One query a call, as billing's (its fan's paid subscriptions).
        paying = type(author).objects.filter(pk=fan_id, username=bob.account.username).exists()
        return frozenset({author.pk}) if paying else frozenset()

    memberships.set_provider(lambda fan_id, creator_id: None, creators)
    try:
        context_of(bob, chain(2, account=author, members_only=True)[-1])  # warm up

        # when
        for_one, for_fifty = queries_for_context(bob, short[-1]), queries_for_context(bob, long[-1])

        # then the same queries, and bob sees every ancestor while alice (no member) sees none
        assert for_fifty == for_one
        assert context_of(bob, long[-1])["ancestors"] == [s.pk for s in long[:-1]]
        assert alice.client.get(f"/api/v1/statuses/{long[-1].pk}/context").status_code == 404
    finally:
        memberships.set_provider(*previous)


def test_context_costs_the_same_for_one_and_fifty_levels_of_descendants(alice):
    # given
    short, deep = chain(2), chain(51)
    context_of(alice, chain(2)[0])  # warm up

    # when
    for_one, for_fifty = queries_for_context(alice, short[0]), queries_for_context(alice, deep[0])

    # then
    assert for_fifty == for_one
    assert context_of(alice, deep[0])["descendants"] == [s.pk for s in deep[1:]]


def test_descendants_come_depth_first_each_level_by_id(alice):
    # given
    root = StatusFactory()
    first, second = StatusFactory(in_reply_to=root), StatusFactory(in_reply_to=root)
    first_child = StatusFactory(in_reply_to=first)
    second_child = StatusFactory(in_reply_to=second)
    first_grandchild = StatusFactory(in_reply_to=first_child)

    # when
    context = context_of(alice, root)

    # then
    assert context == {
        "ancestors": [],
        "descendants": [
            first.pk, first_child.pk, first_grandchild.pk, second.pk, second_child.pk
        ],
    }  # fmt: skip


def test_ancestors_end_at_the_first_one_the_viewer_may_not_see(alice):
    # given: a private status of a stranger in the middle of the thread
    root = StatusFactory()
    hidden = StatusFactory(in_reply_to=root, visibility="private")
    above, reply = chain(2, root=hidden)

    # when
    context = context_of(alice, reply)

    # then
    assert context["ancestors"] == [above.pk]


def test_descendants_leave_out_what_the_viewer_may_not_see_and_what_replies_to_it(alice):
    # given
    root = StatusFactory()
    hidden = StatusFactory(in_reply_to=root, visibility="private")
    StatusFactory(in_reply_to=hidden)
    shown = StatusFactory(in_reply_to=root)

    # when
    context = context_of(alice, root)

    # then
    assert context["descendants"] == [shown.pk]


def test_context_leaves_out_muted_accounts(alice):
    # given
    root = StatusFactory()
    muted_reply = StatusFactory(in_reply_to=root)
    StatusFactory(in_reply_to=muted_reply)
    Mute.objects.create(account=alice.account, target=muted_reply.account)
    other_reply = StatusFactory(in_reply_to=root)

    # when
    context = context_of(alice, root)

    # then
    assert context["descendants"] == [other_reply.pk]


def test_a_status_without_a_thread_has_an_empty_context(alice):
    # when
    context = context_of(alice, StatusFactory())

    # then
    assert context == {"ancestors": [], "descendants": []}


# Token, the insert, mentions and tags, notifications, the outbox, the answer's rows: pinned.
QUERIES_TO_POST_THROUGH_THE_API = 18


def test_posting_through_the_api_answers_the_new_status_without_the_visibility_query():
    # The author may always see its own new status: the answer reads it by id and author,
    # not through Status.objects.visible_to (whose query costs milliseconds to build).
    from unittest import mock

    from tests.accounts.factories import AccessTokenFactory
    from tests.api_client import APIClient

    author = UserFactory()
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=author, scope='write').token}"
    )
    client.post("/api/v1/statuses", {"status": "warm up"}, format="json")

    with (
        mock.patch.object(
            Status.objects, "visible_to", side_effect=AssertionError("visibility query built")
        ),
        CaptureQueriesContext(connection) as captured,
    ):
        response = client.post("/api/v1/statuses", {"status": "hello #news"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["content"].startswith("<p>hello ")
    assert body["account"]["id"] == str(author.pk)
    assert body["tags"][0]["name"] == "news"
    assert len(captured) == QUERIES_TO_POST_THROUGH_THE_API, [q["sql"] for q in captured]


@pytest.mark.parametrize(
    ("action", "flag"),
    [("favourite", "favourited"), ("bookmark", "bookmarked"), ("reblog", "reblogged")],
)
def test_an_action_on_a_status_builds_the_visibility_query_once(action, flag):
    # The status is checked for the viewer once; the answer reads what the action took by
    # its id (the visibility query costs milliseconds of CPU to build).
    from unittest import mock

    from tests.accounts.factories import AccessTokenFactory
    from tests.api_client import APIClient

    viewer = UserFactory()
    status = StatusFactory(visibility="public")
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=viewer, scope='write').token}"
    )

    with mock.patch.object(
        Status.objects, "visible_to", wraps=Status.objects.visible_to
    ) as visible_to:
        response = client.post(f"/api/v1/statuses/{status.pk}/{action}")

    assert response.status_code == 200, response.content
    shown = response.json()
    assert visible_to.call_count == 1
    original = shown["reblog"] if action == "reblog" else shown
    assert original["id"] == str(status.pk)
    assert original[flag] is True


def test_an_action_on_a_status_the_viewer_may_not_see_is_404():
    from tests.accounts.factories import AccessTokenFactory
    from tests.api_client import APIClient

    viewer = UserFactory()
    status = StatusFactory(visibility="direct")
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=viewer, scope='write').token}"
    )

    response = client.post(f"/api/v1/statuses/{status.pk}/favourite")

    assert response.status_code == 404
    assert not status.favourites.exists()


def test_posting_a_mention_looks_the_account_up_once():
    # The mentioned accounts are looked up once, for the HTML and the mentions both.
    from tests.accounts.factories import AccessTokenFactory
    from tests.api_client import APIClient

    author, bob = UserFactory(), UserFactory(username="bob")
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=author, scope='write').token}"
    )

    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/statuses", {"status": "hi @Bob"}, format="json")

    assert response.status_code == 200, response.content
    assert [mention["id"] for mention in response.json()["mentions"]] == [str(bob.pk)]
    assert Notification.objects.filter(account=bob, type="mention").count() == 1
    # username__iexact: UPPER(...) = UPPER(...) on PostgreSQL, LIKE on SQLite.
    lookups = [
        q["sql"]
        for q in captured
        if 'UPPER("accounts_user"."username"' in q["sql"]
        or '"accounts_user"."username" LIKE' in q["sql"]
    ]
    assert len(lookups) == 1, lookups


def test_a_page_of_notifications_reads_no_media_or_quotes_it_does_not_have(alice, bob):
    # given bob favourited alice's posts (no media, no quote) and alice read them once
    posts = [alice.post(f"post {n}") for n in range(3)]
    for post in posts:
        assert bob.client.post(f"/api/v1/statuses/{post['id']}/favourite").status_code == 200
    assert len(alice.client.get("/api/v1/notifications").json()) == 3

    # when she reads them again (their statuses' entities cached)
    with CaptureQueriesContext(connection) as captured:
        response = alice.client.get("/api/v1/notifications")

    # then: the token, the page's ids, its rows (quotes and whether each status has media
    # come with them), the viewer's filters and own state of the statuses
    assert response.status_code == 200, response.json()
    assert len(captured) == 5, [query["sql"][:90] for query in captured]
    assert not [query for query in captured[3:] if "media" in query["sql"]]
