"""``POST /api/v1/apps`` and ``GET /api/v1/apps/verify_credentials`` (Mastodon's Application)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.oauth import application_create
from core import push


@extend_schema_field(
    {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
)
class StringOrListField(serializers.Field):
    """A value Mastodon clients send as a string or as an array of strings."""

    default_error_messages = {"invalid": _("must be a string or an array of strings")}

    def to_internal_value(self, data):
        if isinstance(data, str):
            return data
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class ApplicationCreateSerializer(serializers.Serializer):
    client_name = serializers.CharField(max_length=255)
    redirect_uris = StringOrListField()
    scopes = StringOrListField(required=False, default="read")
    website = serializers.CharField(required=False, allow_blank=True, default="", max_length=2048)


def application_entity(application, *, client_secret: str | None = None) -> dict:
    """Mastodon's Application entity; the credentials only when just created."""
    uris = application.redirect_uris.split()
    data = {
        "id": str(application.pk),
        "name": application.name,
        "website": application.website or None,
        "scopes": application.scopes.split(),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "vapid_key": push.vapid_public_key(),
    }
    if client_secret is not None:
        data["client_id"] = application.client_id
        data["client_secret"] = client_secret
        data["client_secret_expires_at"] = 0
    return data


class ApplicationCreateView(APIView):
    """Register a client app. Anyone may; the rate limit keeps it from being abused."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "oauth_app"

    @extend_schema(request=ApplicationCreateSerializer, responses={200: dict})
    def post(self, request):
        serializer = ApplicationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        application, client_secret = application_create(
            name=data["client_name"],
            redirect_uris=data["redirect_uris"],
            scopes=data["scopes"],
            website=data["website"],
        )
        return Response(
            application_entity(application, client_secret=client_secret),
            status=status.HTTP_200_OK,
        )


class HasToken(BasePermission):
    """Any valid bearer token, of a user or of the app alone (client credentials)."""

    message = _("The access token is invalid")

    def has_permission(self, request, view) -> bool:
        return getattr(request.auth, "application", None) is not None


class ApplicationVerifyCredentialsView(APIView):
    """The app the bearer token belongs to."""

    permission_classes = [HasToken]

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response(application_entity(request.auth.application))
