"""The Mastodon Notification entity, with the types other apps' events produce."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.feed.api.serializers import AccountSerializer, NotificationSerializer


class NotificationEntitySerializer(NotificationSerializer):
    """Notification, plus ``moderation_warning`` (Mastodon 4.3's AccountWarning) when it is one."""

    moderation_warning = serializers.SerializerMethodField()

    class Meta(NotificationSerializer.Meta):
        fields = [*NotificationSerializer.Meta.fields, "moderation_warning"]

    def to_representation(self, notification):
        data = super().to_representation(notification)
        if data.get("moderation_warning") is None:
            data.pop("moderation_warning", None)
        return data

    @extend_schema_field({"type": "object", "nullable": True})
    def get_moderation_warning(self, notification):
        if notification.type != "moderation_warning" or not notification.payload:
            return None
        return {
            **notification.payload,
            "target_account": AccountSerializer(notification.account, context=self.context).data,
            "appeal": None,
        }
