"""``/api/v2/notifications``: Mastodon 4.3's grouped notifications, and the unread counts.

Favourites and reblogs of one status, and follows, share a group while it spans
less than 12 hours; a page lists each group once, with the accounts and statuses
its groups name once beside them. Groups obey v1's rules (visibility, blocks).
"""

import datetime as dt
import importlib
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, URLPattern, URLResolver, resolve
from django.urls.resolvers import RegexPattern
from django.utils import timezone

from apps.feed import services
from apps.feed.api import grouped_notifications
from apps.feed.api import urls as feed_urls
from apps.feed.models import Block, ModerationState, Notification, Status
from core import events
from tests.accounts.factories import UserFactory
from tests.feed.conftest import Member

V2 = "/api/v2/notifications"
NOT_FOUND = {"error": "Record not found"}

migration = importlib.import_module("apps.feed.migrations.0011_grouped_notifications")


def this_hour() -> int:
    return int(timezone.now().timestamp()) // 3600


def favourite(member: Member, status_id: str) -> None:
    response = member.client.post(f"/api/v1/statuses/{status_id}/favourite")
    assert response.status_code == 200, response.json()


def reblog(member: Member, status_id: str) -> None:
    response = member.client.post(f"/api/v1/statuses/{status_id}/reblog")
    assert response.status_code == 200, response.json()


def groups(member: Member, **query) -> dict:
    response = member.client.get(V2, query)
    assert response.status_code == 200, response.json()
    return response.json()


def keys(body: dict) -> list[str]:
    return [group["group_key"] for group in body["notification_groups"]]


def links(response) -> dict[str, str]:
    header = response.headers.get("Link", "")
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header)}


@pytest.fixture
def dave(db):
    return Member("dave")


# Group keys ------------------------------------------------------------------


def test_favourites_of_a_status_are_one_group_and_a_mention_is_its_own(alice, bob, carol):
    # given bob then carol favourite alice's status, and bob mentions her
    status = alice.post("hello")
    favourite(bob, status["id"])
    favourite(carol, status["id"])
    mention = bob.post("@alice hi")

    # when alice lists her notification groups
    body = groups(alice)

    # then the mention is ungrouped and the favourites are one group, newest first
    mention_notification = Notification.objects.get(type="mention")
    assert keys(body) == [
        f"ungrouped-{mention_notification.pk}",
        f"favourite-{status['id']}-{this_hour()}",
    ]
    mention_group, favourites = body["notification_groups"]
    assert mention_group["notifications_count"] == 1
    assert mention_group["type"] == "mention"
    assert mention_group["status_id"] == mention["id"]
    assert mention_group["sample_account_ids"] == [bob.id]
    assert favourites["type"] == "favourite"
    assert favourites["notifications_count"] == 2
    assert favourites["sample_account_ids"] == [carol.id, bob.id]
    assert favourites["status_id"] == status["id"]
    newest = Notification.objects.filter(type="favourite").latest("id")
    oldest = Notification.objects.filter(type="favourite").earliest("id")
    assert favourites["most_recent_notification_id"] == newest.pk
    assert favourites["page_max_id"] == str(newest.pk)
    assert favourites["page_min_id"] == str(oldest.pk)
    assert favourites["latest_page_notification_at"].endswith("Z")
    # and each account and status is listed once
    assert sorted(a["id"] for a in body["accounts"]) == sorted([bob.id, carol.id])
    assert sorted(s["id"] for s in body["statuses"]) == sorted([status["id"], mention["id"]])
    assert "partial_accounts" not in body


def test_follows_are_one_group_without_a_status(alice, bob, carol):
    bob.follow(alice)
    carol.follow(alice)

    (group,) = groups(alice)["notification_groups"]

    assert group["group_key"] == f"follow-{this_hour()}"
    assert group["notifications_count"] == 2
    assert group["sample_account_ids"] == [carol.id, bob.id]
    assert "status_id" not in group


def test_the_v1_entity_carries_its_group_key(alice, bob, carol):
    status = alice.post("hello")
    favourite(bob, status["id"])
    carol.post("@alice hey")

    response = alice.client.get("/api/v1/notifications")

    assert response.status_code == 200
    mention, fav = response.json()
    assert mention["group_key"] == f"ungrouped-{mention['id']}"
    assert fav["group_key"] == f"favourite-{status['id']}-{this_hour()}"


@pytest.mark.parametrize(
    ("began_hours_ago", "last_minutes_ago", "joins"),
    [
        pytest.param(0, 5, True, id="same-hour"),
        pytest.param(11, 60, True, id="group-began-11h-ago"),
        pytest.param(12, 60, False, id="group-began-12h-ago"),
        pytest.param(2, 12 * 60 + 5, False, id="group-quiet-for-12h"),
    ],
)
def test_a_favourite_joins_the_latest_group_within_the_window(
    alice, bob, carol, began_hours_ago, last_minutes_ago, joins
):
    # given bob favourited alice's status in a group that began some hours ago
    status = alice.post("hello")
    favourite(bob, status["id"])
    began = this_hour() - began_hours_ago
    old_key = f"favourite-{status['id']}-{began}"
    Notification.objects.filter(from_account=bob.account).update(
        group_key=old_key, created_at=timezone.now() - dt.timedelta(minutes=last_minutes_ago)
    )

    # when carol favourites it
    favourite(carol, status["id"])

    # then her notification joins that group, or starts one in the current hour
    key = Notification.objects.get(from_account=carol.account).group_key
    assert key == (old_key if joins else f"favourite-{status['id']}-{this_hour()}")


def test_groups_are_per_status_and_per_type(alice, bob):
    first, second = alice.post("one"), alice.post("two")
    favourite(bob, first["id"])
    favourite(bob, second["id"])
    reblog(bob, first["id"])

    body = groups(alice)

    hour = this_hour()
    assert keys(body) == [
        f"reblog-{first['id']}-{hour}",
        f"favourite-{second['id']}-{hour}",
        f"favourite-{first['id']}-{hour}",
    ]
    # bob is listed once, each status once
    assert [a["id"] for a in body["accounts"]] == [bob.id]
    assert [s["id"] for s in body["statuses"]] == [first["id"], second["id"]]


def test_partial_avatars_list_the_first_account_of_a_group_in_full(alice, bob, carol, dave):
    status = alice.post("hello")
    for fan in (bob, carol, dave):
        favourite(fan, status["id"])

    body = groups(alice, expand_accounts="partial_avatars")

    assert [a["id"] for a in body["accounts"]] == [dave.id]
    assert sorted(a["id"] for a in body["partial_accounts"]) == sorted([bob.id, carol.id])
    assert set(body["partial_accounts"][0]) == {
        "id",
        "acct",
        "locked",
        "bot",
        "url",
        "avatar",
        "avatar_static",
    }


def test_a_moderation_warning_is_a_group_carrying_the_warning(
    alice, bob, django_capture_on_commit_callbacks
):
    bob.follow(alice)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(
            events.AccountWarned(account_id=alice.account.pk, warning_id=7, action="none")
        )

    warning, follow = groups(alice)["notification_groups"]

    assert warning["type"] == "moderation_warning"
    assert warning["group_key"].startswith("ungrouped-")
    assert warning["moderation_warning"]["id"] == "7"
    assert warning["moderation_warning"]["target_account"]["id"] == alice.id
    assert "status_id" not in warning
    assert "moderation_warning" not in follow


# Filters -----------------------------------------------------------------------


@pytest.fixture
def mixed(alice, bob, carol):
    """alice has a favourite group of two, a follow and a mention."""
    status = alice.post("hello")
    favourite(bob, status["id"])
    favourite(carol, status["id"])
    bob.follow(alice)
    carol.post("@alice hey")
    return status


@pytest.mark.parametrize(
    ("query", "types"),
    [
        pytest.param({}, ["mention", "follow", "favourite"], id="all"),
        pytest.param({"types[]": ["follow", "mention"]}, ["mention", "follow"], id="types"),
        pytest.param({"exclude_types[]": ["mention"]}, ["follow", "favourite"], id="exclude"),
        pytest.param({"types[]": ["favourite", "quote"]}, ["favourite"], id="unknown-ignored"),
        pytest.param({"types[]": ["quote"]}, [], id="only-unknown-lists-nothing"),
    ],
)
def test_types_filter_the_groups(alice, mixed, query, types):
    body = groups(alice, **query)

    assert [group["type"] for group in body["notification_groups"]] == types


def test_a_type_left_out_of_grouped_types_is_listed_ungrouped(alice, mixed):
    body = groups(alice, **{"grouped_types[]": ["follow"]})

    favourites = [g for g in body["notification_groups"] if g["type"] == "favourite"]
    assert len(favourites) == 2
    assert all(g["group_key"].startswith("ungrouped-") for g in favourites)
    assert all(g["notifications_count"] == 1 for g in favourites)


def test_account_id_lists_one_accounts_notifications(alice, bob, mixed):
    body = groups(alice, account_id=bob.id)

    assert [group["type"] for group in body["notification_groups"]] == ["follow", "favourite"]
    assert all(group["sample_account_ids"] == [bob.id] for group in body["notification_groups"])


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"limit": "0"}, id="limit-zero"),
        pytest.param({"limit": "ten"}, id="limit-text"),
        pytest.param({"max_id": "x"}, id="max-id-text"),
        pytest.param({"expand_accounts": "everything"}, id="expand-accounts"),
        pytest.param({"account_id": "bob"}, id="account-id-text"),
    ],
)
def test_bad_parameters_are_422(alice, mixed, query):
    response = alice.client.get(V2, query)

    assert response.status_code == 422, response.json()
    assert "error" in response.json()


# Pagination --------------------------------------------------------------------


def test_pages_of_groups_link_to_older_and_newer_ones(alice, mixed):
    # given alice's three groups: mention, follow, favourites (newest first)
    everything = keys(groups(alice))

    # when she reads them two at a time
    first = alice.client.get(V2, {"limit": 2})
    following = alice.client.get(links(first)["next"])
    previous = alice.client.get(links(following)["prev"])

    # then the pages hold the groups in order, and the links carry the limit
    assert keys(first.json()) == everything[:2]
    assert keys(following.json()) == everything[2:]
    assert keys(previous.json()) == everything[:2]
    heads = first.json()["notification_groups"]
    assert f"max_id={heads[-1]['most_recent_notification_id']}" in links(first)["next"]
    assert f"min_id={heads[0]['most_recent_notification_id']}" in links(first)["prev"]
    assert "limit=2" in links(first)["next"]
    # and the favourites' group counts both, on the page where it ends
    assert following.json()["notification_groups"][0]["notifications_count"] == 2


def test_a_group_spread_over_pages_counts_what_is_before_the_page_end(alice, bob, carol, dave):
    # given favourites of one status around a follow: bob, (dave follows), carol
    status = alice.post("hello")
    favourite(bob, status["id"])
    dave.follow(alice)
    favourite(carol, status["id"])

    # when alice reads groups one at a time
    first = alice.client.get(V2, {"limit": 1})
    second = alice.client.get(links(first)["next"])

    # then the favourites come first with both, then the follow and the group's older part
    (favourites,) = first.json()["notification_groups"]
    assert favourites["notifications_count"] == 2
    assert keys(second.json()) == [f"follow-{this_hour()}"]


def test_since_id_lists_only_newer_groups(alice, bob, carol):
    status = alice.post("hello")
    favourite(bob, status["id"])
    seen = Notification.objects.get().pk
    carol.follow(alice)

    body = groups(alice, since_id=seen)

    assert keys(body) == [f"follow-{this_hour()}"]


def test_no_notifications_is_an_empty_page_without_links(alice):
    response = alice.client.get(V2)

    assert response.status_code == 200
    assert response.json() == {"accounts": [], "statuses": [], "notification_groups": []}
    assert "Link" not in response.headers


# One group -------------------------------------------------------------------------


def test_a_group_is_shown_by_its_key_without_page_fields(alice, bob, carol):
    status = alice.post("hello")
    favourite(bob, status["id"])
    favourite(carol, status["id"])
    key = f"favourite-{status['id']}-{this_hour()}"

    response = alice.client.get(f"{V2}/{key}")

    assert response.status_code == 200, response.json()
    (group,) = response.json()["notification_groups"]
    assert group["group_key"] == key
    assert group["notifications_count"] == 2
    assert "page_min_id" not in group
    assert [s["id"] for s in response.json()["statuses"]] == [status["id"]]


def test_an_ungrouped_notification_is_shown_by_its_key(alice, bob):
    bob.post("@alice hi")
    notification = Notification.objects.get()

    response = alice.client.get(f"{V2}/ungrouped-{notification.pk}")

    assert response.status_code == 200, response.json()
    assert keys(response.json()) == [f"ungrouped-{notification.pk}"]


def test_the_group_accounts_are_paged_newest_first(alice, bob, carol, dave):
    status = alice.post("hello")
    for fan in (bob, carol, dave):
        favourite(fan, status["id"])
    key = f"favourite-{status['id']}-{this_hour()}"

    first = alice.client.get(f"{V2}/{key}/accounts", {"limit": 2})
    rest = alice.client.get(links(first)["next"])

    assert [a["id"] for a in first.json()] == [dave.id, carol.id]
    assert [a["id"] for a in rest.json()] == [bob.id]


def test_dismissing_a_group_removes_all_of_it_and_nothing_else(alice, bob, mixed):
    key = f"favourite-{mixed['id']}-{this_hour()}"

    response = alice.client.post(f"{V2}/{key}/dismiss")

    assert response.status_code == 200
    assert response.json() == {}
    assert not Notification.objects.filter(type="favourite").exists()
    assert [g["type"] for g in groups(alice)["notification_groups"]] == ["mention", "follow"]
    assert alice.client.get(f"{V2}/{key}").status_code == 404


def test_dismissing_another_accounts_group_changes_nothing(alice, bob, mixed):
    key = f"favourite-{mixed['id']}-{this_hour()}"

    response = bob.client.post(f"{V2}/{key}/dismiss")

    assert response.status_code == 200
    assert Notification.objects.filter(type="favourite").count() == 2


@pytest.mark.parametrize(
    "key",
    [
        "abc",
        "ungrouped-x",
        "favourite-1",
        "mention-1-2",
        "follow-",
        "ungrouped-99999999999999999999",
        f"ungrouped-{2**63}",
    ],
)
@pytest.mark.parametrize("suffix", ["", "/accounts", "/dismiss"])
def test_a_malformed_group_key_is_a_json_404(alice, mixed, key, suffix):
    method = alice.client.post if suffix == "/dismiss" else alice.client.get

    response = method(f"{V2}/{key}{suffix}")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert Notification.objects.count() == 4


def test_an_unknown_group_is_404(alice, mixed):
    response = alice.client.get(f"{V2}/follow-1")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    ("path", "view"),
    [
        ("/api/v2/notifications/unread_count", "NotificationUnreadCountView"),
        ("/api/v2/notifications/clear", "NotificationGroupClearView"),
        ("/api/v1/notifications/unread_count", "NotificationUnreadCountView"),
        ("/api/v2/notifications/follow-1", "NotificationGroupDetailView"),
    ],
)
def test_literal_paths_are_never_taken_for_a_group_key(path, view):
    assert resolve(path).func.view_class is getattr(grouped_notifications, view)


@pytest.mark.parametrize("literal", ["unread_count", "clear", "policy", "requests"])
def test_a_literal_path_is_not_captured_even_with_the_key_routes_first(literal):
    # given the feed's routes with every capturing route first, the worst order
    flat = [entry for entry in feed_urls.urlpatterns if isinstance(entry, URLPattern)]
    capturing = [entry for entry in flat if "<" in str(entry.pattern)]
    resolver = URLResolver(
        RegexPattern(r"^/"), capturing + [e for e in flat if "<" not in str(e.pattern)]
    )

    # when a literal path under /api/v2/notifications is resolved
    try:
        match = resolver.resolve(f"/api/v2/notifications/{literal}")
    except Resolver404:
        match = None

    # then no route takes it for a group key
    assert match is None or "group_key" not in match.kwargs


# Unread counts ----------------------------------------------------------------------


def unread(member: Member, version: str = "v2", **query) -> int:
    response = member.client.get(f"/api/{version}/notifications/unread_count", query)
    assert response.status_code == 200, response.json()
    return response.json()["count"]


def mark_read(member: Member, notification_id: int) -> None:
    response = member.client.post(
        "/api/v1/markers", {"notifications": {"last_read_id": str(notification_id)}}, format="json"
    )
    assert response.status_code == 200, response.json()


def test_unread_counts_follow_the_notifications_marker(alice, bob, carol, dave):
    # given two favourites of one status, then a follow
    status = alice.post("hello")
    favourite(bob, status["id"])
    favourite(carol, status["id"])
    dave.follow(alice)
    first, second, third = Notification.objects.order_by("id")

    # then with no marker everything is unread: 3 notifications in 2 groups
    assert (unread(alice, "v1"), unread(alice)) == (3, 2)
    # and past the marker only what is newer counts
    mark_read(alice, first.pk)
    assert (unread(alice, "v1"), unread(alice)) == (2, 2)
    mark_read(alice, second.pk)
    assert (unread(alice, "v1"), unread(alice)) == (1, 1)
    mark_read(alice, third.pk)
    assert (unread(alice, "v1"), unread(alice)) == (0, 0)


def test_unread_counts_stop_at_the_limit_and_take_filters(alice, mixed):
    assert unread(alice, "v1", limit=2) == 2
    assert unread(alice, limit=1) == 1
    assert unread(alice, "v1", **{"types[]": ["favourite"]}) == 2
    assert unread(alice, **{"types[]": ["favourite"]}) == 1
    assert unread(alice, **{"exclude_types[]": ["favourite"]}) == 2
    assert unread(alice, **{"grouped_types[]": ["follow"]}) == 4


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("limit", ["0", "-1", "many"])
def test_a_bad_unread_limit_is_422(alice, version, limit):
    response = alice.client.get(f"/api/{version}/notifications/unread_count", {"limit": limit})

    assert response.status_code == 422


def test_unread_counts_need_a_token(api_client):
    response = api_client.get("/api/v2/notifications/unread_count")

    assert response.status_code == 401


# Privacy -------------------------------------------------------------------------


def test_a_notification_about_a_status_she_can_no_longer_see_is_gone(alice, bob):
    # given bob mentioned alice, then moderation removed his status
    bob.post("@alice look")
    notification = Notification.objects.get()
    Status.objects.filter(pk=notification.status_id).update(
        moderation_state=ModerationState.REMOVED
    )

    # then alice's groups, counts and the group itself no longer show it
    assert groups(alice)["notification_groups"] == []
    assert (unread(alice, "v1"), unread(alice)) == (0, 0)
    response = alice.client.get(f"{V2}/ungrouped-{notification.pk}")
    assert response.status_code == 404


def test_a_blocked_account_leaves_groups_and_counts(alice, bob, carol):
    # given bob and carol favourited alice's status, then alice blocks carol
    status = alice.post("hello")
    favourite(bob, status["id"])
    favourite(carol, status["id"])
    Block.objects.create(account=alice.account, target=carol.account)
    key = f"favourite-{status['id']}-{this_hour()}"

    # then the group, its accounts and the counts show bob only
    (group,) = groups(alice)["notification_groups"]
    assert group["notifications_count"] == 1
    assert group["sample_account_ids"] == [bob.id]
    accounts = alice.client.get(f"{V2}/{key}/accounts").json()
    assert [a["id"] for a in accounts] == [bob.id]
    assert alice.client.get(f"{V2}/{key}").json()["accounts"][0]["id"] == bob.id
    assert unread(alice, "v1") == 1


def test_groups_are_the_viewers_own(alice, bob, mixed):
    assert groups(bob)["notification_groups"] == []
    key = f"favourite-{mixed['id']}-{this_hour()}"
    assert bob.client.get(f"{V2}/{key}").status_code == 404
    assert bob.client.get(f"{V2}/{key}/accounts").json() == []


# Queries ---------------------------------------------------------------------------


def queries_to_list(member: Member) -> int:
    with CaptureQueriesContext(connection) as captured:
        groups(member)
    return len(captured)


def test_listing_costs_the_same_whatever_the_size_of_the_groups(alice, bob):
    # given: a first listing warms what is cached per process
    first, second = alice.post("one"), alice.post("two")
    favourite(bob, first["id"])
    bob.follow(alice)
    queries_to_list(alice)
    small = queries_to_list(alice)

    # when each group grows to many accounts
    for fan in [UserFactory() for _ in range(12)]:
        services.status_favourite(status=Status.objects.get(pk=first["id"]), account=fan)
        services.status_favourite(status=Status.objects.get(pk=second["id"]), account=fan)
        services.account_follow(account=fan, target=alice.account)
    large = queries_to_list(alice)

    # then listing them costs no more queries
    body = groups(alice)
    assert [g["notifications_count"] for g in body["notification_groups"]] == [13, 12, 13]
    assert len(body["accounts"]) == 8  # the 8 newest of each group: the same fans
    assert large == small


# Backfill ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_groups_existing_notifications_as_new_ones_are():
    # given notifications written before group keys existed, hours apart
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    status = Status.objects.create(account=alice, text="hi", content="<p>hi</p>")
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=2)
    rows = []
    for hours, kind, actor in [
        (0, "favourite", bob),
        (5, "favourite", carol),
        (13, "favourite", bob),
        (13, "mention", bob),
        (1, "follow", bob),
        (30, "follow", carol),
    ]:
        notification = Notification.objects.create(
            account=alice,
            from_account=actor,
            type=kind,
            status=status if kind != "follow" else None,
        )
        rows.append((notification, start + dt.timedelta(hours=hours)))
    for notification, created_at in rows:
        Notification.objects.filter(pk=notification.pk).update(created_at=created_at, group_key="")

    # when the migration backfills them
    migration.backfill_group_keys(
        SimpleNamespace(get_model=lambda app_label, name: Notification), schema_editor=None
    )

    # then they are grouped by status and type within 12 hours of a group's start
    hour = int(start.timestamp()) // 3600
    found = [Notification.objects.get(pk=n.pk).group_key for n, _created in rows]
    assert found == [
        f"favourite-{status.pk}-{hour}",
        f"favourite-{status.pk}-{hour}",
        f"favourite-{status.pk}-{hour + 13}",
        f"ungrouped-{rows[3][0].pk}",
        f"follow-{hour + 1}",
        f"follow-{hour + 30}",
    ]
