"""Mastodon 4.3's notification policy (v2, and v1's booleans) and notification requests.

``/api/v2/notifications/policy`` reads and changes the five settings
(``accept``, ``filter`` or ``drop`` each); ``/api/v1/notifications/policy`` is
Mastodon 4.2's view of the same row, with booleans. ``/api/v1/notifications/requests``
lists the senders whose mentions the policy held back; accepting or dismissing
them, one or many (``id[]``), is immediate, so ``merged`` is always true.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.feed import selectors
from apps.feed.api.serializers import AccountSerializer, EmptySerializer, StatusSerializer
from apps.feed.api.views import UserView
from apps.feed.models import NotificationPolicy, NotificationRequest
from apps.feed.selectors.notification_policies import (
    notification_policy_for,
    notification_policy_summary,
    notification_request_get,
    notification_requests_page,
)
from apps.feed.selectors.statuses import statuses_in_order
from apps.feed.services.notification_policies import V1_SETTINGS, notification_policy_update
from apps.feed.services.notification_requests import (
    notification_requests_accept,
    notification_requests_dismiss,
)
from core.api.pagination import paged_response
from core.api.schema import error_response
from core.ids import parse_id
from core.pagination import page_params

# Mastodon's DEFAULT_ACCOUNTS_LIMIT, the requests list's page size.
DEFAULT_REQUESTS_LIMIT = 40
ACTION_CHOICES = NotificationPolicy.Action.values
INVALID = {422: error_response("An unknown setting, or a value that is not allowed.")}


# Entities ------------------------------------------------------------------------


class PolicySummarySerializer(serializers.Serializer):
    pending_requests_count = serializers.IntegerField()
    pending_notifications_count = serializers.IntegerField()


class NotificationPolicySerializer(serializers.Serializer):
    """Mastodon 4.3's NotificationPolicy. Renders ``(policy, summary)``."""

    for_not_following = serializers.ChoiceField(choices=ACTION_CHOICES)
    for_not_followers = serializers.ChoiceField(choices=ACTION_CHOICES)
    for_new_accounts = serializers.ChoiceField(choices=ACTION_CHOICES)
    for_private_mentions = serializers.ChoiceField(choices=ACTION_CHOICES)
    for_limited_accounts = serializers.ChoiceField(choices=ACTION_CHOICES)
    summary = PolicySummarySerializer()

    def to_representation(self, instance):
        policy, summary = instance
        data = {setting: getattr(policy, setting) for setting in NotificationPolicy.SETTINGS}
        data["summary"] = PolicySummarySerializer(summary).data
        return data


class NotificationPolicyV1Serializer(serializers.Serializer):
    """Mastodon 4.2's NotificationPolicy: a setting is "filtered" when it is not ``accept``."""

    filter_not_following = serializers.BooleanField()
    filter_not_followers = serializers.BooleanField()
    filter_new_accounts = serializers.BooleanField()
    filter_private_mentions = serializers.BooleanField()
    summary = PolicySummarySerializer()

    def to_representation(self, instance):
        policy, summary = instance
        data: dict[str, Any] = {
            name: getattr(policy, setting) != NotificationPolicy.Action.ACCEPT
            for name, setting in V1_SETTINGS.items()
        }
        data["summary"] = PolicySummarySerializer(summary).data
        return data


class NotificationPolicyUpdateSerializer(serializers.Serializer):
    """What a client may send (the schema's; the service checks the values)."""

    for_not_following = serializers.ChoiceField(choices=ACTION_CHOICES, required=False)
    for_not_followers = serializers.ChoiceField(choices=ACTION_CHOICES, required=False)
    for_new_accounts = serializers.ChoiceField(choices=ACTION_CHOICES, required=False)
    for_private_mentions = serializers.ChoiceField(choices=ACTION_CHOICES, required=False)
    for_limited_accounts = serializers.ChoiceField(choices=ACTION_CHOICES, required=False)


class NotificationPolicyV1UpdateSerializer(serializers.Serializer):
    filter_not_following = serializers.BooleanField(required=False)
    filter_not_followers = serializers.BooleanField(required=False)
    filter_new_accounts = serializers.BooleanField(required=False)
    filter_private_mentions = serializers.BooleanField(required=False)


class NotificationRequestSerializer(serializers.Serializer):
    """Mastodon 4.3's NotificationRequest (its count is a string, as Mastodon renders it)."""

    id = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    notifications_count = serializers.CharField()
    account = AccountSerializer(source="from_account")
    last_status = serializers.SerializerMethodField()

    def get_last_status(self, request: NotificationRequest) -> dict | None:
        if request.last_status_id is None or request.last_status is None:
            return None
        return StatusSerializer(request.last_status, context=self.context).data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["notifications_count"] = str(instance.notifications_count)
        return data


class MergedSerializer(serializers.Serializer):
    merged = serializers.BooleanField()


# Helpers -------------------------------------------------------------------------


def _changes(request) -> dict[str, Any]:
    """The body's fields, one value each (a form's last, as Rails reads it)."""
    data = request.data
    if hasattr(data, "getlist"):
        return {key: data.get(key) for key in data}
    if not isinstance(data, dict):
        raise ValidationError({"policy": [_("must be an object of settings")]})
    return dict(data)


def _policy_entity(account) -> tuple[NotificationPolicy, object]:
    return notification_policy_for(account=account), notification_policy_summary(account=account)


def _with_statuses(request, requests: list[NotificationRequest]) -> dict:
    """The serializer context for ``requests``: their last statuses loaded as a page's are,
    and the viewer's flags on them (a fixed number of queries for the page)."""
    ids = [r.last_status_id for r in requests if r.last_status_id is not None]
    statuses = {status.pk: status for status in statuses_in_order(ids)}
    for item in requests:
        if item.last_status_id is not None:
            item.last_status = statuses.get(item.last_status_id)
    return {
        "request": request,
        "viewer_state": selectors.viewer_state(
            viewer=request.user, statuses=list(statuses.values())
        ),
    }


def _request_ids(request) -> list[int]:
    """``id[]`` of a form or the query string, or ``id`` of JSON (a list or one id).

    Mastodon.py 2.3 sends ``id[][]`` (it suffixes list parameters a second time), read
    as ``id[]``. Raises a 422 when none is given or one is not an id.
    """
    data = request.data
    names = ("id[]", "id", "id[][]")
    raw: object = None
    if hasattr(data, "getlist"):
        raw = next((data.getlist(name) for name in names if data.getlist(name)), None)
    elif isinstance(data, dict):
        raw = next((data[name] for name in names if name in data), None)
    if raw is None:
        query = request.query_params
        raw = next((query.getlist(name) for name in names if query.getlist(name)), None)
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        raw = [raw]
    if not raw or not isinstance(raw, list):
        raise ValidationError({"id": [_("must list the requests (id[])")]})
    ids = [parse_id(value) if isinstance(value, (str, int)) else None for value in raw]
    if any(value is None for value in ids):
        raise ValidationError({"id": [_("must be a list of request ids")]})
    return [value for value in ids if value is not None]


# Views ---------------------------------------------------------------------------


class NotificationPolicyView(UserView):
    """``/api/v2/notifications/policy``."""

    required_scopes = {"GET": "read:notifications", "PATCH": "write:notifications"}

    @extend_schema(operation_id="notification_policy_get", responses=NotificationPolicySerializer)
    def get(self, request):
        return Response(NotificationPolicySerializer(_policy_entity(request.user)).data)

    @extend_schema(
        operation_id="notification_policy_update",
        request=NotificationPolicyUpdateSerializer,
        responses={200: NotificationPolicySerializer, **INVALID},
    )
    def patch(self, request):
        notification_policy_update(account=request.user, changes=_changes(request))
        return Response(NotificationPolicySerializer(_policy_entity(request.user)).data)


class NotificationPolicyV1View(UserView):
    """``/api/v1/notifications/policy``: Mastodon 4.2's booleans over the same settings."""

    required_scopes = {"GET": "read:notifications", "PUT": "write:notifications"}

    @extend_schema(
        operation_id="notification_policy_v1_get", responses=NotificationPolicyV1Serializer
    )
    def get(self, request):
        return Response(NotificationPolicyV1Serializer(_policy_entity(request.user)).data)

    @extend_schema(
        operation_id="notification_policy_v1_update",
        request=NotificationPolicyV1UpdateSerializer,
        responses={200: NotificationPolicyV1Serializer, **INVALID},
    )
    def put(self, request):
        form = NotificationPolicyV1UpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        unknown = sorted(set(_changes(request)) - set(V1_SETTINGS))
        if unknown:
            raise ValidationError(
                {key: [_("is not a notification policy setting")] for key in unknown}
            )
        changes = {
            V1_SETTINGS[name]: (
                NotificationPolicy.Action.FILTER if value else NotificationPolicy.Action.ACCEPT
            )
            for name, value in form.validated_data.items()
        }
        notification_policy_update(account=request.user, changes=changes)
        return Response(NotificationPolicyV1Serializer(_policy_entity(request.user)).data)


class NotificationRequestListView(UserView):
    required_scopes = {"GET": "read:notifications"}

    @extend_schema(
        operation_id="notification_requests_list",
        parameters=[
            OpenApiParameter("max_id", str),
            OpenApiParameter("since_id", str),
            OpenApiParameter("min_id", str),
            OpenApiParameter("limit", int),
        ],
        responses=NotificationRequestSerializer(many=True),
    )
    def get(self, request):
        params = page_params(request, default_limit=DEFAULT_REQUESTS_LIMIT, max_limit=80)
        requests = notification_requests_page(viewer=request.user, params=params)
        context = _with_statuses(request, requests)
        data = NotificationRequestSerializer(requests, many=True, context=context).data
        return paged_response(request, data, rows=requests, params=params)


class NotificationRequestDetailView(UserView):
    required_scopes = {"GET": "read:notifications"}

    @extend_schema(responses=NotificationRequestSerializer)
    def get(self, request, request_id: int):
        item = notification_request_get(viewer=request.user, request_id=request_id)
        context = _with_statuses(request, [item])
        return Response(NotificationRequestSerializer(item, context=context).data)


class NotificationRequestActionView(UserView):
    """``POST /api/v1/notifications/requests/:id/accept`` and ``.../dismiss``."""

    required_scopes = {"POST": "write:notifications"}
    action = "accept"

    def act(self, request, request_id: int) -> Response:
        item = notification_request_get(viewer=request.user, request_id=request_id)
        if self.action == "accept":
            notification_requests_accept(account=request.user, request_ids=[item.pk])
        else:
            notification_requests_dismiss(account=request.user, request_ids=[item.pk])
        return Response({})


class NotificationRequestAcceptView(NotificationRequestActionView):
    action = "accept"

    @extend_schema(
        operation_id="notification_request_accept", request=None, responses=EmptySerializer
    )
    def post(self, request, request_id: int):
        return self.act(request, request_id)


class NotificationRequestDismissView(NotificationRequestActionView):
    action = "dismiss"

    @extend_schema(
        operation_id="notification_request_dismiss", request=None, responses=EmptySerializer
    )
    def post(self, request, request_id: int):
        return self.act(request, request_id)


class NotificationRequestBulkView(UserView):
    """``POST /api/v1/notifications/requests/accept`` and ``.../dismiss`` with ``id[]``:
    the viewer's requests among them (others' and unknown ids are ignored, as Mastodon does)."""

    required_scopes = {"POST": "write:notifications"}
    action = "accept"

    def act(self, request) -> Response:
        ids = _request_ids(request)
        if self.action == "accept":
            notification_requests_accept(account=request.user, request_ids=ids)
        else:
            notification_requests_dismiss(account=request.user, request_ids=ids)
        return Response({})


BULK_PARAMETERS = [OpenApiParameter("id[]", str, many=True)]


class NotificationRequestBulkAcceptView(NotificationRequestBulkView):
    action = "accept"

    @extend_schema(
        operation_id="notification_requests_accept",
        parameters=BULK_PARAMETERS,
        request=None,
        responses={200: EmptySerializer, **INVALID},
    )
    def post(self, request):
        return self.act(request)


class NotificationRequestBulkDismissView(NotificationRequestBulkView):
    action = "dismiss"

    @extend_schema(
        operation_id="notification_requests_dismiss",
        parameters=BULK_PARAMETERS,
        request=None,
        responses={200: EmptySerializer, **INVALID},
    )
    def post(self, request):
        return self.act(request)


class NotificationRequestsMergedView(UserView):
    """Whether accepted requests are merged into the list: always, accepting being immediate."""

    required_scopes = {"GET": "read:notifications"}

    @extend_schema(operation_id="notification_requests_merged", responses=MergedSerializer)
    def get(self, request):
        return Response({"merged": True})
