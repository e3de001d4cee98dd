"""Mastodon.py reads, pages, counts and dismisses grouped notifications (Mastodon 4.3's v2 API)."""

import pytest
from mastodon import Mastodon

from tests.accounts.factories import AccessTokenFactory, UserFactory

SCOPES = "read write follow push"


def client_for(user, base_url: str) -> Mastodon:
    token = AccessTokenFactory(user=user, scope=SCOPES).token
    return Mastodon(access_token=token, api_base_url=base_url, version_check_mode="none")


@pytest.fixture
def three_clients(live_server, transactional_db):
    return [
        client_for(UserFactory(username=name), live_server.url) for name in ("ann", "ben", "cy")
    ]


def test_grouped_notifications_as_mastodon_py_reads_them(three_clients):
    ann, ben, cy = three_clients
    status = ann.status_post("favourite me")
    ben.status_favourite(status["id"])
    cy.status_favourite(status["id"])
    ben.account_follow(ann.me()["id"])

    # the favourites are one group, the follow another, newest first
    page = ann.grouped_notifications(limit=1)
    (follow,) = page.notification_groups
    older = ann.fetch_next(page)
    (favourites,) = older.notification_groups
    assert follow.type == "follow"
    assert favourites.type == "favourite"
    assert favourites.notifications_count == 2
    assert str(favourites.status_id) == str(status["id"])
    assert [str(s["id"]) for s in older.statuses] == [str(status["id"])]

    # the group, its accounts, the unread counts, and dismissing it
    group = ann.grouped_notification(favourites.group_key)
    assert group.notification_groups[0].notifications_count == 2
    accounts = ann.grouped_notification_accounts(favourites.group_key)
    assert [a["username"] for a in accounts] == ["cy", "ben"]
    assert ann.unread_grouped_notifications_count() == 2
    assert ann.notifications_unread_count()["count"] == 3
    ann.dismiss_grouped_notification(favourites.group_key)
    assert [g.type for g in ann.grouped_notifications().notification_groups] == ["follow"]
