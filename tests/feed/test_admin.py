"""The feed's back office: a moderator reads statuses, tags, notifications and limits, and
changes nothing. Staff are signed in with two-factor verified (tests/security/staff.py)."""

import pytest
from django.apps import apps
from django.urls import reverse

from apps.feed.models import Notification, Status, Tag
from core.roles import sync_roles
from tests.feed.factories import FollowFactory, StatusFactory
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client():
    sync_roles()
    return verified_client(staff_member("moderator"))


def test_a_moderator_lists_statuses_with_author_state_and_counts(moderator_client, alice):
    # given
    status = StatusFactory(
        account=alice.account,
        text="hello world",
        visibility="unlisted",
        moderation_state="hidden",
        favourites_count=3,
        reblogs_count=2,
        replies_count=1,
    )

    # when
    response = moderator_client.get(reverse("admin:feed_status_changelist"))

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "@alice" in html
    assert "hello world" in html
    row = response.context["cl"].result_list[0]
    assert row == status
    assert list(response.context["cl"].list_display) == [
        "id",
        "author",
        "excerpt",
        "visibility",
        "moderation_state",
        "created_at",
        "replies_count",
        "reblogs_count",
        "favourites_count",
        # Added by apps.moderation (its admin/feed.py), when installed.
        *(["report_count"] if apps.is_installed("apps.moderation") else []),
    ]
    assert 'href="/admin/feed/status/add/"' not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "kittens"}, ["kittens everywhere"]),
        ({"q": "alice"}, ["kittens everywhere", "a private note"]),
        ({"visibility__exact": "private"}, ["a private note"]),
        ({"moderation_state__exact": "removed"}, ["spam spam"]),
        ({"author": "ALICE"}, ["kittens everywhere", "a private note"]),
    ],
    ids=["text", "author-username", "visibility", "moderation-state", "author-filter"],
)
def test_a_moderator_searches_and_filters_statuses(moderator_client, alice, bob, query, expected):
    # given
    StatusFactory(account=alice.account, text="kittens everywhere")
    StatusFactory(account=alice.account, text="a private note", visibility="private")
    StatusFactory(account=bob.account, text="spam spam", moderation_state="removed")
    query = {key: alice.id if value == "ALICE" else value for key, value in query.items()}

    # when
    response = moderator_client.get(reverse("admin:feed_status_changelist"), query)

    # then
    assert response.status_code == 200
    assert sorted(s.text for s in response.context["cl"].result_list) == sorted(expected)


def test_filtering_by_creation_date(moderator_client, alice):
    # given
    import datetime as dt

    from django.utils import timezone

    old = StatusFactory(account=alice.account, text="last year")
    Status.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    StatusFactory(account=alice.account, text="today")

    # when
    response = moderator_client.get(
        reverse("admin:feed_status_changelist"),
        {"created_at__gte": str(timezone.now() - dt.timedelta(days=7))},
    )

    # then
    assert [s.text for s in response.context["cl"].result_list] == ["today"]


def test_a_moderator_opens_a_status_read_only_with_its_history(moderator_client, alice, bob):
    # given
    posted = alice.post("first draft @bob #topic")
    edited = alice.client.put(
        f"/api/v1/statuses/{posted['id']}", {"status": "final text @bob #topic"}, format="json"
    )
    assert edited.status_code == 200

    # when
    response = moderator_client.get(reverse("admin:feed_status_change", args=[posted["id"]]))

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "final text @bob #topic" in html
    assert "first draft @bob #topic" in html
    assert 'name="text"' not in html
    assert 'name="_save"' not in html
    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False


def test_a_moderator_cannot_change_add_or_delete_a_status(moderator_client, alice):
    # given
    status = StatusFactory(account=alice.account, text="original")
    change_url = reverse("admin:feed_status_change", args=[status.pk])

    # when
    changed = moderator_client.post(
        change_url, {"text": "rewritten", "visibility": "public", "moderation_state": "removed"}
    )
    deleted = moderator_client.post(
        reverse("admin:feed_status_delete", args=[status.pk]), {"post": "yes"}
    )
    bulk_deleted = moderator_client.post(
        reverse("admin:feed_status_changelist"),
        {"action": "delete_selected", "_selected_action": [status.pk], "post": "yes"},
    )
    added = moderator_client.get(reverse("admin:feed_status_add"))

    # then
    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert bulk_deleted.status_code == 200
    assert added.status_code == 403
    status.refresh_from_db()
    assert (status.text, status.visibility, status.moderation_state) == (
        "original",
        "public",
        "visible",
    )
    assert Status.objects.count() == 1


def test_a_superuser_cannot_edit_statuses_either(alice):
    # given: statuses change only through the services
    status = StatusFactory(account=alice.account, text="original")
    client = verified_client(staff_member(is_superuser=True))

    # when
    response = client.post(
        reverse("admin:feed_status_change", args=[status.pk]), {"text": "rewritten"}
    )

    # then
    assert response.status_code == 403
    status.refresh_from_db()
    assert status.text == "original"


def test_the_status_list_query_count_does_not_grow_with_the_page(
    moderator_client, django_assert_max_num_queries
):
    # given
    url = reverse("admin:feed_status_changelist")
    StatusFactory.create_batch(2)
    with django_assert_max_num_queries(30) as few:
        assert moderator_client.get(url).status_code == 200
        few_count = len(few)
    StatusFactory.create_batch(40)

    # then
    with django_assert_max_num_queries(few_count):
        response = moderator_client.get(url)
        assert len(response.context["cl"].result_list) == 42


@pytest.mark.parametrize("page", ["feed_tag", "feed_notification"], ids=lambda p: p[5:])
def test_a_moderator_reads_tags_and_notifications_but_changes_nothing(
    moderator_client, alice, bob, page
):
    # given
    tag = Tag.objects.create(name="topic")
    FollowFactory(account=bob.account, target=alice.account)
    notification = Notification.objects.create(
        account=alice.account, from_account=bob.account, type="follow"
    )
    obj = {"feed_tag": tag, "feed_notification": notification}[page]

    # when
    listed = moderator_client.get(reverse(f"admin:{page}_changelist"))
    shown = moderator_client.get(reverse(f"admin:{page}_change", args=[obj.pk]))
    deleted = moderator_client.post(reverse(f"admin:{page}_delete", args=[obj.pk]), {"post": "yes"})
    added = moderator_client.get(reverse(f"admin:{page}_add"))

    # then
    assert (listed.status_code, shown.status_code) == (200, 200)
    assert list(listed.context["cl"].result_list) == [obj]
    assert (deleted.status_code, added.status_code) == (403, 403)
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_staff_without_the_moderator_role_cannot_open_statuses():
    # given
    sync_roles()
    client = verified_client(staff_member("finance"))

    # when
    response = client.get(reverse("admin:feed_status_changelist"))

    # then
    assert response.status_code == 403
