"""A strike from moderation (core.events.AccountWarned) reaches the author as Mastodon's
``moderation_warning`` notification, through the API and the user stream's source."""

import pytest

from core import events

pytestmark = pytest.mark.django_db


@pytest.fixture
def warn(django_capture_on_commit_callbacks):
    def publish(member, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            events.publish(events.AccountWarned(account_id=member.account.pk, **fields))

    return publish


def test_a_strike_is_a_moderation_warning_notification_with_the_warning(alice, bob, warn):
    post = alice.post("something that breaks the rules")
    warn(
        alice,
        warning_id=77,
        action="delete_statuses",
        text="Harassment is not allowed here.",
        status_ids=(int(post["id"]),),
        created_at="2026-11-23T12:00:00Z",
    )

    response = alice.client.get("/api/v1/notifications")

    assert response.status_code == 200, response.json()
    [notification] = response.json()
    assert notification["type"] == "moderation_warning"
    assert notification["account"]["id"] == alice.id
    assert notification["status"] is None
    warning = notification["moderation_warning"]
    assert warning["id"] == "77"
    assert warning["action"] == "delete_statuses"
    assert warning["text"] == "Harassment is not allowed here."
    assert warning["status_ids"] == [post["id"]]
    assert warning["target_account"]["id"] == alice.id
    assert warning["appeal"] is None
    # Nobody else hears about it.
    assert bob.client.get("/api/v1/notifications").json() == []


def test_other_notifications_have_no_moderation_warning_field(alice, bob, warn):
    bob.follow(alice)
    warn(alice, warning_id=1, action="none")

    kinds = {n["type"]: n for n in alice.client.get("/api/v1/notifications").json()}

    assert set(kinds) == {"follow", "moderation_warning"}
    assert "moderation_warning" not in kinds["follow"]
    assert kinds["moderation_warning"]["moderation_warning"]["status_ids"] == []


def test_warnings_filter_like_any_type(alice, bob, warn):
    bob.follow(alice)
    warn(alice, warning_id=2, action="silence")

    only = alice.client.get("/api/v1/notifications", {"types[]": "moderation_warning"}).json()
    without = alice.client.get(
        "/api/v1/notifications", {"exclude_types[]": "moderation_warning"}
    ).json()

    assert [n["type"] for n in only] == ["moderation_warning"]
    assert [n["type"] for n in without] == ["follow"]
