"""The Mastodon Notification entity, with the types other apps' events produce."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.feed.api.serializers import AccountSerializer, NotificationSerializer


@extend_schema_field({"type": "object", "description": "Mastodon 4.3's AccountWarning."})
class _ModerationWarningField(serializers.Field):
    """The AccountWarning of a ``moderation_warning`` notification.

    Not a method field: those are read-only, and the schema makes every read-only
    field required, where Mastodon leaves this one out of other notifications.
    The serializer only ever renders, so the field is never written.
    """

    def __init__(self, **kwargs):
        super().__init__(source="*", required=False, **kwargs)

    def to_representation(self, notification):
        if notification.type != "moderation_warning" or not notification.payload:
            return None  # left out of the entity by the serializer
        return {
            **notification.payload,
            "target_account": AccountSerializer(notification.account, context=self.context).data,
            "appeal": None,
        }


class NotificationEntitySerializer(NotificationSerializer):
    """Notification, plus ``moderation_warning`` (Mastodon 4.3's AccountWarning) when it is one,
    and Mastodon 4.3's ``group_key`` (streamed notifications join their group with it)."""

    moderation_warning = _ModerationWarningField()
    group_key = serializers.SerializerMethodField()

    class Meta(NotificationSerializer.Meta):
        fields = [*NotificationSerializer.Meta.fields, "group_key", "moderation_warning"]

    def get_group_key(self, notification) -> str:
        return notification.group_key or f"ungrouped-{notification.pk}"

    def to_representation(self, notification):
        data = super().to_representation(notification)
        if data.get("moderation_warning") is None:
            data.pop("moderation_warning", None)
        return data
