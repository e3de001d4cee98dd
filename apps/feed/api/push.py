"""``/api/v1/push/subscription``: an app's Web Push subscription (Mastodon's
WebPushSubscription), one per access token.

``POST`` subscribes (replacing the token's subscription), ``GET`` shows it, ``PUT``
changes its alerts and policy, ``DELETE`` removes it. Parameters come as Mastodon's
clients send them: form or multipart fields named ``subscription[keys][p256dh]``,
``data[alerts][mention]``, or the same nested in a JSON body. The token needs the
``push`` scope. While the server has no VAPID key pair, subscribing answers 422
"Push notifications are not configured on this server".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.feed.api.serializers import EmptySerializer
from apps.feed.models import PushSubscription
from apps.feed.selectors import push as push_selectors
from apps.feed.services import push as push_services
from core import push
from core.api.schema import error_response
from core.params import truthy
from core.permissions import HasScope, HasUser

_NAME = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def nested_params(data: Any) -> dict[str, Any]:
    """The request's parameters as nested mappings, whether they came as a JSON body or
    as Rails-style form names (``data[alerts][mention]=true``; the last value wins)."""
    if not isinstance(data, QueryDict):
        return dict(data) if isinstance(data, Mapping) else {}
    nested: dict[str, Any] = {}
    for name in data:
        match = _NAME.match(name)
        if match is None:
            continue
        path = [match.group(1), *_PART.findall(match.group(2))]
        node: Any = nested
        for part in path[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else None
        if isinstance(node, dict) and not isinstance(node.get(path[-1]), dict):
            node[path[-1]] = data.get(name)
    return nested


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _data_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``data[alerts]`` and ``data[policy]`` (a top-level ``policy`` too, as masto.js sends)."""
    data = _mapping(params.get("data"))
    return {"alerts": data.get("alerts"), "policy": data.get("policy", params.get("policy"))}


class WebPushSubscriptionAlertsSerializer(serializers.Serializer):
    """Which notification types are pushed (every type Mastodon pushes, on or off)."""

    def get_fields(self):
        return {name: serializers.BooleanField() for name in push_selectors.ALERT_TYPES}


class WebPushSubscriptionSerializer(serializers.ModelSerializer):
    """Mastodon's WebPushSubscription entity."""

    id = serializers.IntegerField(read_only=True)
    alerts = serializers.SerializerMethodField()
    server_key = serializers.SerializerMethodField()

    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "standard", "alerts", "policy", "server_key"]

    @extend_schema_field(WebPushSubscriptionAlertsSerializer)
    def get_alerts(self, subscription: PushSubscription) -> dict[str, bool]:
        return {name: subscription.alerts.get(name) is True for name in push_selectors.ALERT_TYPES}

    def get_server_key(self, subscription: PushSubscription) -> str:
        return push.vapid_public_key()


class PushKeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(help_text="The app's P-256 public key, base64url, uncompressed.")
    auth = serializers.CharField(help_text="The app's 16-byte auth secret, base64url.")


class PushEndpointSerializer(serializers.Serializer):
    endpoint = serializers.URLField(help_text="Where pushes are POSTed (https).")
    keys = PushKeysSerializer()
    standard = serializers.BooleanField(
        required=False, help_text="RFC 8291 aes128gcm (true) or the legacy aesgcm draft."
    )


class PushDataSerializer(serializers.Serializer):
    alerts = WebPushSubscriptionAlertsSerializer(required=False)
    policy = serializers.ChoiceField(choices=push_services.POLICIES, required=False)


class PushSubscriptionCreateSerializer(serializers.Serializer):
    """``POST``'s parameters (also as form fields ``subscription[keys][auth]``...).

    Documentation only: the view reads the nested parameters itself (:func:`nested_params`).
    """

    def get_fields(self):
        # "data" names a Serializer attribute, so the fields are given here.
        return {
            "subscription": PushEndpointSerializer(),
            "data": PushDataSerializer(required=False),
        }


class PushSubscriptionUpdateSerializer(serializers.Serializer):
    """``PUT``'s parameters: the alerts and the policy only."""

    def get_fields(self):
        return {"data": PushDataSerializer(required=False)}


class PushSubscriptionView(APIView):
    permission_classes = [HasScope, HasUser]
    required_scopes = "push"

    def _token(self, request):
        # The subscription belongs to the token itself: a browser session has none.
        if request.auth is None or not hasattr(request.auth, "token"):
            raise NotAuthenticated()
        return request.auth

    @extend_schema(
        operation_id="push_subscription_get",
        responses={
            200: WebPushSubscriptionSerializer,
            404: error_response("The token has no push subscription."),
        },
    )
    def get(self, request):
        subscription = push_selectors.push_subscription_for_token(access_token=self._token(request))
        return Response(WebPushSubscriptionSerializer(subscription).data)

    @extend_schema(
        operation_id="push_subscription_create",
        request=PushSubscriptionCreateSerializer,
        responses={200: WebPushSubscriptionSerializer},
    )
    def post(self, request):
        token = self._token(request)
        params = nested_params(request.data)
        endpoint = _mapping(params.get("subscription"))
        keys = _mapping(endpoint.get("keys"))
        subscription = push_services.push_subscription_create(
            account=request.user,
            access_token=token,
            endpoint=endpoint.get("endpoint"),
            p256dh=keys.get("p256dh"),
            auth=keys.get("auth"),
            standard=truthy(endpoint.get("standard", False)),
            **_data_params(params),
        )
        return Response(WebPushSubscriptionSerializer(subscription).data)

    @extend_schema(
        operation_id="push_subscription_update",
        request=PushSubscriptionUpdateSerializer,
        responses={
            200: WebPushSubscriptionSerializer,
            404: error_response("The token has no push subscription."),
        },
    )
    def put(self, request):
        subscription = push_services.push_subscription_update(
            access_token=self._token(request), **_data_params(nested_params(request.data))
        )
        return Response(WebPushSubscriptionSerializer(subscription).data)

    @extend_schema(operation_id="push_subscription_delete", responses={200: EmptySerializer})
    def delete(self, request):
        push_services.push_subscription_delete(access_token=self._token(request))
        return Response({})
