"""The Mastodon Notification entity, with the types other apps' events produce."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from apps.feed.api.serializers import AccountSerializer, NotificationSerializer
from apps.feed.models import Notification
from core.ids import parse_id
from core.params import truthy


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
        return moderation_warning(notification, self.context)


def moderation_warning(notification: Notification, context) -> dict | None:
    """The AccountWarning of a ``moderation_warning`` notification; None (left out) for others."""
    if notification.type != "moderation_warning" or not notification.payload:
        return None
    return {
        **notification.payload,
        "target_account": AccountSerializer(notification.account, context=context).data,
        "appeal": None,
    }


@extend_schema_field(
    {"type": "object", "description": "Agora's own notification types' data (``agora:...``)."}
)
class AgoraPayloadField(serializers.Field):
    """What an Agora notification type (``agora:shield``) tells, under ``agora``.

    Left out of Mastodon's own types, as ``moderation_warning`` is of the others.
    """

    def __init__(self, **kwargs):
        super().__init__(source="*", required=False, **kwargs)

    def to_representation(self, notification):
        return agora_payload(notification)


def agora_payload(notification: Notification) -> dict | None:
    """What an ``agora:`` notification tells; None (left out) for Mastodon's own types."""
    if not notification.type.startswith("agora:"):
        return None
    return notification.payload or {}


class NotificationEntitySerializer(NotificationSerializer):
    """Notification, plus ``moderation_warning`` (Mastodon 4.3's AccountWarning) when it is one,
    and Mastodon 4.3's ``group_key`` (streamed notifications join their group with it)."""

    moderation_warning = _ModerationWarningField()
    agora = AgoraPayloadField()
    group_key = serializers.SerializerMethodField()

    class Meta(NotificationSerializer.Meta):
        fields = [*NotificationSerializer.Meta.fields, "group_key", "moderation_warning", "agora"]

    def get_group_key(self, notification) -> str:
        return notification.group_key or f"ungrouped-{notification.pk}"

    def to_representation(self, notification):
        data = super().to_representation(notification)
        data["group_key"] = self.get_group_key(notification)
        optional = {
            "moderation_warning": moderation_warning(notification, self.context),
            "agora": agora_payload(notification),
        }
        data.update((name, value) for name, value in optional.items() if value is not None)
        return data


# Parameters of the notification lists (v1 and v2) ---------------------------------


def list_param(request, name: str) -> list[str]:
    query = request.query_params
    return query.getlist(f"{name}[]") or query.getlist(name)


def notification_type_filters(request) -> dict:
    """``types[]``, ``exclude_types[]``, ``account_id`` and ``include_filtered``, as Mastodon's
    ``browserable``: unknown types are ignored (``types[]`` of unknown types only lists
    nothing)."""
    known = set(Notification.Type.values)
    types = list_param(request, "types")
    account_id = request.query_params.get("account_id")
    if account_id not in (None, "") and parse_id(account_id) is None:
        raise ValidationError({"account_id": [_("must be an id")]})
    return {
        "types": [t for t in types if t in known] if types else None,
        "exclude_types": [t for t in list_param(request, "exclude_types") if t in known] or None,
        "account_id": parse_id(account_id) if account_id else None,
        "include_filtered": truthy(request.query_params.get("include_filtered")),
    }
