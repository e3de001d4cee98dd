"""Mastodon's accounts endpoints and Agora's password change."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors, services
from apps.accounts.api.serializers import (
    AccountSerializer,
    CredentialAccountSerializer,
    CredentialsUpdateSerializer,
    PasswordChangeSerializer,
    RegistrationSerializer,
    TokenSerializer,
    UpdatedCredentialAccountSerializer,
)
from apps.accounts.models import User
from core.api.schema import error_response
from core.permissions import HasScope, HasUser, scope_is_granted, token_scopes

# The body's keys update_credentials hands to the service as they are.
PROFILE_KEYS = (
    "display_name",
    "note",
    "avatar",
    "header",
    "locked",
    "bot",
    "discoverable",
    "indexable",
    "hide_collections",
)


def signed_in_account(request: Request) -> User:
    """The account a view behind ``HasUser`` acts for: that permission refused the rest."""
    return cast(User, request.user)


class HasAnyScope(BasePermission):
    """Refuses a token holding none of the view's ``any_of_scopes`` for this method."""

    message = _("This action is outside the authorized scopes")

    def has_permission(self, request, view) -> bool:
        needed = getattr(view, "any_of_scopes", {}).get(request.method)
        token = request.auth
        if not needed or token is None or not hasattr(token, "scope"):
            return True
        granted = token_scopes(token)
        return any(scope_is_granted(granted, scope) for scope in needed)


class HasToken(BasePermission):
    """The request carries an OAuth token: an app's (client credentials) or an account's."""

    message = _("The access token is invalid")

    def has_permission(self, request, view) -> bool:
        return request.auth is not None and hasattr(request.auth, "scope")


class AccountCreateView(APIView):
    """``POST /api/v1/accounts``: sign up, and receive a token for the new account."""

    permission_classes = [HasToken, HasScope]
    required_scopes = {"POST": "write:accounts"}
    throttle_scope = "registration"

    def permission_denied(self, request, message=None, code=None):
        if request.auth is None:
            raise exceptions.NotAuthenticated()
        super().permission_denied(request, message=message, code=code)

    @extend_schema(
        request=RegistrationSerializer, responses={200: TokenSerializer}, operation_id="register"
    )
    def post(self, request: Request) -> Response:
        if not settings.AGORA_REGISTRATIONS_OPEN:
            raise exceptions.PermissionDenied(_("Registrations are closed on this server"))
        application = getattr(request.auth, "application", None)
        if application is None:
            raise exceptions.NotAuthenticated()
        body = RegistrationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        account = services.account_register(**body.validated_data)
        token = services.account_token_create(
            account=account, application=application, scope=application.scopes
        )
        return Response(TokenSerializer(token).data, status=status.HTTP_200_OK)


class VerifyCredentialsView(APIView):
    """``GET /api/v1/accounts/verify_credentials``: the signed-in account, with ``source``."""

    permission_classes = [HasAnyScope, HasUser]
    any_of_scopes = {"GET": ("read:accounts", "profile")}

    @extend_schema(responses=CredentialAccountSerializer, operation_id="verify_credentials")
    def get(self, request: Request) -> Response:
        account = selectors.account_get(account_id=signed_in_account(request).pk)
        return Response(CredentialAccountSerializer(account, context={"request": request}).data)


class PreferencesView(APIView):
    """``GET /api/v1/preferences``: the defaults the account's apps should post with.

    The ``reading:*`` keys are settings of Mastodon's own web interface, which Agora
    does not have: they carry Mastodon's defaults.
    """

    permission_classes = [HasScope, HasUser]
    required_scopes = {"GET": "read:accounts"}

    @extend_schema(responses={200: dict}, operation_id="preferences")
    def get(self, request: Request) -> Response:
        account = signed_in_account(request)
        return Response(
            {
                "posting:default:visibility": account.default_privacy,
                "posting:default:sensitive": account.default_sensitive,
                "posting:default:language": account.default_language or None,
                "posting:default:quote_policy": account.default_quote_policy,
                "reading:expand:media": "default",
                "reading:expand:spoilers": False,
                "reading:autoplay:gifs": False,
            }
        )


class UpdateCredentialsView(APIView):
    """``PATCH /api/v1/accounts/update_credentials``: edit the profile (JSON, form or multipart)."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"PATCH": "write:accounts"}
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=CredentialsUpdateSerializer,
        responses=UpdatedCredentialAccountSerializer,
        operation_id="update_credentials",
    )
    def patch(self, request: Request) -> Response:
        body = CredentialsUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        source = data.pop("source", {})
        changes = {key: value for key, value in data.items() if key in PROFILE_KEYS}
        if "fields_attributes" in data:
            changes["fields"] = [dict(item) for item in data["fields_attributes"]]
        for source_key, service_key in (
            ("privacy", "default_privacy"),
            ("sensitive", "default_sensitive"),
            ("language", "default_language"),
            ("quote_policy", "default_quote_policy"),
        ):
            if source_key in source:
                changes[service_key] = source[source_key]
        account = services.account_update_profile(account=signed_in_account(request), **changes)
        warnings = (
            selectors.display_name_warnings(account=account) if "display_name" in changes else []
        )
        return Response(
            UpdatedCredentialAccountSerializer(
                account, context={"request": request, "warnings": warnings}
            ).data
        )


class AccountDetailView(APIView):
    """``GET /api/v1/accounts/:id``: an active account's public profile."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "read:accounts"}

    @extend_schema(responses=AccountSerializer, operation_id="account_get")
    def get(self, request: Request, account_id: int) -> Response:
        account = selectors.account_get(account_id=account_id)
        return Response(AccountSerializer(account, context={"request": request}).data)


class AccountLookupView(APIView):
    """``GET /api/v1/accounts/lookup?acct=``: an account by its username (or ``user@domain``)."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "read:accounts"}

    @extend_schema(
        parameters=[OpenApiParameter("acct", str, required=True)],
        responses={200: AccountSerializer, 404: error_response("No account by that name.")},
        operation_id="account_lookup",
    )
    def get(self, request: Request) -> Response:
        acct = request.query_params.get("acct", "").strip()
        if not acct:
            raise exceptions.ValidationError({"acct": [_("This field is required.")]})
        account = selectors.account_get_by_acct(acct=acct)
        return Response(AccountSerializer(account, context={"request": request}).data)


class PasswordChangeView(APIView):
    """``POST /api/agora/v1/account/password``: change the password; every other login ends."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"POST": "write:accounts"}

    @extend_schema(
        request=PasswordChangeSerializer, responses={204: None}, operation_id="password_change"
    )
    def post(self, request: Request) -> Response:
        body = PasswordChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # A browser (session) making the change keeps its own session; a token ends with the rest.
        session_key = None
        if request.auth is None and hasattr(request, "session"):
            session_key = request.session.session_key
        account = signed_in_account(request)
        services.account_change_password(
            account=account,
            current_password=body.validated_data["current_password"],
            new_password=body.validated_data["new_password"],
            keep_session_key=session_key,
        )
        if session_key:
            # The password hash changed: refresh the kept session's copy of it.
            account.refresh_from_db()
            update_session_auth_hash(request._request, account)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileImageDeleteView(APIView):
    """``DELETE /api/v1/profile/avatar`` and ``/header``: back to the default image."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"DELETE": "write:accounts"}
    image = "avatar"

    @extend_schema(responses={200: CredentialAccountSerializer})
    def delete(self, request: Request) -> Response:
        account = services.account_profile_image_delete(
            account=signed_in_account(request), image=self.image
        )
        return Response(CredentialAccountSerializer(account, context={"request": request}).data)
