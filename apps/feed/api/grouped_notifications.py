"""Mastodon 4.3's grouped notifications (``/api/v2/notifications``) and the unread counts.

A page answers each group once, with the accounts and statuses its groups name
listed once beside them (Mastodon's ``DedupNotificationGroupSerializer``).
Group keys reach views through the ``group_key`` path converter: a path segment
that is not shaped like a group key matches no route (a JSON 404), so literal
paths (``unread_count``, ``clear``, ``policy``...) are never taken for a key,
whatever the order of the routes.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.accounts.api.serializers import AccountSerializer
from apps.feed import selectors, services
from apps.feed.api.notifications import (
    AgoraPayloadField,
    _ModerationWarningField,
    list_param,
    notification_type_filters,
)
from apps.feed.api.serializers import EmptySerializer, StatusSerializer
from apps.feed.api.views import UserView
from apps.feed.models import Notification
from apps.feed.selectors.notifications import (
    GROUP_KEY_PATTERN,
    NotificationGroupsPage,
    group_key_is_valid,
)
from core.api.pagination import paged_response
from core.pagination import page_params

# Mastodon's limits (Api::V2::NotificationsController and its accounts controller).
DEFAULT_GROUPS_LIMIT = 40
DEFAULT_ACCOUNTS_LIMIT = 40
DEFAULT_COUNT_LIMIT = 100
MAX_COUNT_LIMIT = 1000
# The types whose group names a status (Mastodon's ``status_type?``).
STATUS_TYPES = frozenset({"favourite", "reblog", "status", "mention", "poll", "update"})
EXPAND_ACCOUNTS = ("full", "partial_avatars")


class GroupKeyConverter:
    """``<group_key:name>``: a path segment shaped like a notification group key, as text."""

    regex = GROUP_KEY_PATTERN

    def to_python(self, value: str) -> str:
        if not group_key_is_valid(value):
            raise ValueError("not a group key")  # no match: a 404
        return value

    def to_url(self, value: str) -> str:
        return value


# Parameters -------------------------------------------------------------------


FILTER_PARAMETERS = [
    OpenApiParameter("types[]", str, many=True),
    OpenApiParameter("exclude_types[]", str, many=True),
    OpenApiParameter("account_id", str),
]
PAGE_PARAMETERS = [
    OpenApiParameter("max_id", str),
    OpenApiParameter("since_id", str),
    OpenApiParameter("min_id", str),
    OpenApiParameter("limit", int),
]
GROUP_KEY_PARAMETER = OpenApiParameter("group_key", str, OpenApiParameter.PATH)


# Entities -----------------------------------------------------------------------


class PartialAccountSerializer(serializers.Serializer):
    """Mastodon's PartialAccountWithAvatar: enough to draw an avatar in a group."""

    id = serializers.CharField()
    acct = serializers.CharField()
    locked = serializers.BooleanField()
    bot = serializers.BooleanField()
    url = serializers.URLField()
    avatar = serializers.URLField()
    avatar_static = serializers.URLField()

    def to_representation(self, account):
        full = AccountSerializer(account, context=self.context).data
        return {name: full[name] for name in self.fields}


class NotificationGroupSerializer(serializers.Serializer):
    """Mastodon's NotificationGroup. Renders a ``selectors.NotificationGroup``.

    The fields Mastodon leaves out of some groups are not read-only, so the
    schema does not require them; the serializer only renders.
    """

    group_key = serializers.CharField()
    notifications_count = serializers.IntegerField()
    type = serializers.ChoiceField(choices=Notification.Type.choices)
    # A number, not a string, as Mastodon renders it (Ice Cubes decodes an Int).
    most_recent_notification_id = serializers.IntegerField()
    page_min_id = serializers.CharField(required=False)
    page_max_id = serializers.CharField(required=False)
    latest_page_notification_at = serializers.DateTimeField(required=False)
    sample_account_ids = serializers.ListField(child=serializers.CharField())
    status_id = serializers.CharField(required=False, allow_null=True)
    moderation_warning = _ModerationWarningField()
    agora = AgoraPayloadField()

    def to_representation(self, group):
        notification = group.notification
        data = {
            "group_key": group.group_key,
            "notifications_count": group.notifications_count,
            "type": notification.type,
            "most_recent_notification_id": group.most_recent_notification_id,
        }
        if group.is_paginated:
            data["page_min_id"] = str(group.page_min_id)
            data["page_max_id"] = str(group.most_recent_notification_id)
            data["latest_page_notification_at"] = serializers.DateTimeField().to_representation(
                group.latest_page_notification_at
            )
        data["sample_account_ids"] = [str(account.pk) for account in group.sample_accounts]
        if notification.type in STATUS_TYPES:
            data["status_id"] = str(notification.status_id) if notification.status_id else None
        warning = self.fields["moderation_warning"].to_representation(notification)
        if warning is not None:
            data["moderation_warning"] = warning
        agora = self.fields["agora"].to_representation(notification)
        if agora is not None:
            data["agora"] = agora
        return data


class GroupedNotificationsSerializer(serializers.Serializer):
    """Mastodon's grouped notifications: groups, and the accounts and statuses they name, once."""

    accounts = AccountSerializer(many=True)
    partial_accounts = PartialAccountSerializer(many=True, required=False)
    statuses = StatusSerializer(many=True)
    notification_groups = NotificationGroupSerializer(many=True)


class UnreadCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


def _grouped_data(request, page: NotificationGroupsPage, *, expand_accounts: str = "full"):
    """The entity of ``page``: with ``partial_avatars``, the first account of each group in
    full and the others partial, as Mastodon's ``GroupedNotificationsPresenter``."""
    accounts: dict[int, object] = {}
    partial: dict[int, object] = {}
    for group in page.groups:
        for position, account in enumerate(group.sample_accounts):
            if expand_accounts == "full" or position == 0:
                accounts.setdefault(account.pk, account)
            else:
                partial.setdefault(account.pk, account)
    context = {
        "request": request,
        "viewer_state": selectors.viewer_state(viewer=request.user, statuses=page.statuses),
    }
    data = {
        "accounts": AccountSerializer(list(accounts.values()), many=True, context=context).data,
        "statuses": StatusSerializer(page.statuses, many=True, context=context).data,
        "notification_groups": NotificationGroupSerializer(
            page.groups, many=True, context=context
        ).data,
    }
    if expand_accounts == "partial_avatars":
        others = [account for pk, account in partial.items() if pk not in accounts]
        data["partial_accounts"] = PartialAccountSerializer(others, many=True, context=context).data
    return data


# Views --------------------------------------------------------------------------


class NotificationGroupListView(UserView):
    required_scopes = {"GET": "read:notifications"}

    @extend_schema(
        operation_id="notification_groups_list",
        parameters=[
            *PAGE_PARAMETERS,
            *FILTER_PARAMETERS,
            OpenApiParameter("grouped_types[]", str, many=True),
            OpenApiParameter("expand_accounts", str, enum=list(EXPAND_ACCOUNTS)),
            OpenApiParameter("include_filtered", bool),
        ],
        responses=GroupedNotificationsSerializer,
    )
    def get(self, request):
        params = page_params(request, default_limit=DEFAULT_GROUPS_LIMIT, max_limit=80)
        expand_accounts = request.query_params.get("expand_accounts") or "full"
        if expand_accounts not in EXPAND_ACCOUNTS:
            raise ValidationError(
                {"expand_accounts": [_("allowed values are 'full' and 'partial_avatars'")]}
            )
        page = selectors.notification_groups_page(
            viewer=request.user,
            params=params,
            grouped_types=list_param(request, "grouped_types") or None,
            **notification_type_filters(request),
        )
        data = _grouped_data(request, page, expand_accounts=expand_accounts)
        return paged_response(request, data, rows=page.notifications, params=params)


class NotificationGroupDetailView(UserView):
    required_scopes = {"GET": "read:notifications"}

    @extend_schema(parameters=[GROUP_KEY_PARAMETER], responses=GroupedNotificationsSerializer)
    def get(self, request, group_key: str):
        page = selectors.notification_group_get(viewer=request.user, group_key=group_key)
        return Response(_grouped_data(request, page))


class NotificationGroupDismissView(UserView):
    required_scopes = {"POST": "write:notifications"}

    @extend_schema(parameters=[GROUP_KEY_PARAMETER], request=None, responses=EmptySerializer)
    def post(self, request, group_key: str):
        services.notification_group_dismiss(account=request.user, group_key=group_key)
        return Response({})


class NotificationGroupAccountsView(UserView):
    required_scopes = {"GET": "read:notifications"}

    @extend_schema(
        parameters=[GROUP_KEY_PARAMETER, *PAGE_PARAMETERS],
        responses=AccountSerializer(many=True),
    )
    def get(self, request, group_key: str):
        params = page_params(request, default_limit=DEFAULT_ACCOUNTS_LIMIT, max_limit=80)
        notifications = selectors.notification_group_accounts(
            viewer=request.user, group_key=group_key, params=params
        )
        accounts = [notification.from_account for notification in notifications]
        data = AccountSerializer(accounts, many=True, context={"request": request}).data
        return paged_response(request, data, rows=notifications, params=params)


class NotificationGroupClearView(UserView):
    required_scopes = {"POST": "write:notifications"}

    @extend_schema(
        operation_id="notification_groups_clear", request=None, responses=EmptySerializer
    )
    def post(self, request):
        services.notifications_clear(account=request.user)
        return Response({})


class NotificationUnreadCountView(UserView):
    """How many notifications (v2: groups) are past the ``notifications`` marker."""

    required_scopes = {"GET": "read:notifications"}
    grouped = False

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int),
            *FILTER_PARAMETERS,
            OpenApiParameter("grouped_types[]", str, many=True),
        ],
        responses=UnreadCountSerializer,
    )
    def get(self, request):
        params = page_params(request, default_limit=DEFAULT_COUNT_LIMIT, max_limit=MAX_COUNT_LIMIT)
        count = selectors.notifications_unread_count(
            viewer=request.user,
            limit=params.limit,
            grouped=self.grouped,
            grouped_types=list_param(request, "grouped_types") or None,
            **notification_type_filters(request),
        )
        return Response({"count": count})
