"""The Notification entity is built directly (``NotificationSerializer.to_representation``),
not by DRF's walk over its declared fields: both must give the same entity, for every type."""

import pytest
from rest_framework import serializers

from apps.feed.api.notifications import NotificationEntitySerializer
from apps.feed.models import Notification, Status

pytestmark = pytest.mark.django_db


class DeclaredFields(NotificationEntitySerializer):
    """The entity as DRF renders the declared fields, the optional ones left out when empty."""

    def to_representation(self, notification):
        data = serializers.ModelSerializer.to_representation(self, notification)
        for optional in ("moderation_warning", "agora"):
            if data[optional] is None:
                del data[optional]
        return data


def _notifications(alice, bob) -> list[Notification]:
    post = Status.objects.get(pk=alice.post("hello @bob")["id"])
    make = Notification.objects.create
    return [
        make(account=alice.account, from_account=bob.account, type="favourite", status=post,
             group_key=f"favourite-{post.pk}-1"),
        make(account=alice.account, from_account=bob.account, type="follow"),
        make(account=bob.account, from_account=alice.account, type="mention", status=post),
        make(account=alice.account, from_account=alice.account, type="moderation_warning",
             payload={"id": "7", "action": "none", "text": "Be kind.", "status_ids": [],
                      "created_at": "2026-12-07T10:00:00Z"}),
        make(account=alice.account, from_account=bob.account, type="agora:shield",
             payload={"senders": 3}),
        make(account=alice.account, from_account=bob.account, type="agora:shield"),
    ]  # fmt: skip


def test_every_type_renders_as_its_declared_fields(alice, bob):
    for notification in _notifications(alice, bob):
        direct = NotificationEntitySerializer(notification, context={}).data
        assert direct == DeclaredFields(notification, context={}).data, notification.type


def test_a_page_renders_as_its_declared_fields(alice, bob):
    notifications = _notifications(alice, bob)

    page = NotificationEntitySerializer(notifications, many=True, context={}).data

    declared = DeclaredFields(notifications, many=True, context={}).data
    for notification, entity, expected in zip(notifications, page, declared, strict=True):
        assert entity == expected, notification.type
        assert list(entity) == list(expected)


def test_the_api_lists_the_entity(alice, bob):
    bob.follow(alice)

    response = alice.client.get("/api/v1/notifications")

    assert response.status_code == 200, response.json()
    (follow,) = response.json()
    assert list(follow) == ["id", "type", "created_at", "account", "status", "group_key"]
    assert follow["account"]["id"] == bob.id
    assert follow["status"] is None
