"""Two-factor management for the signed-in user (Agora extension, ``/api/agora/v1/account/totp``).

- ``POST .../totp`` (password): starts setup; returns the secret and the otpauth:// URI.
- ``POST .../totp/confirm`` (code): proves the app works; two-factor is then on.
- ``DELETE .../totp`` (password and code): turns two-factor off.

A wrong password answers 403, a wrong or missing code 422; neither changes anything.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import otp
from apps.accounts.backends import password_confirms_user
from core.permissions import HasScope, HasUser


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False, max_length=4096)


class CodeSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^\s*\d{6,8}\s*$", max_length=16)


class PasswordAndCodeSerializer(PasswordSerializer, CodeSerializer):
    pass


def _require_password(request, password: str) -> None:
    if not password_confirms_user(request=request._request, user=request.user, password=password):
        raise PermissionDenied(_("The password is incorrect."))


class TotpView(APIView):
    permission_classes = [HasScope, HasUser]
    required_scopes = {"POST": "write:accounts", "DELETE": "write:accounts"}

    @extend_schema(request=PasswordSerializer, responses={200: dict})
    def post(self, request):
        serializer = PasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _require_password(request, serializer.validated_data["password"])
        setup = otp.totp_setup_start(user=request.user)
        return Response(
            {
                "secret": setup.secret,
                "provisioning_uri": setup.provisioning_uri,
                "confirmed": False,
            }
        )

    @extend_schema(request=PasswordAndCodeSerializer, responses={200: dict})
    def delete(self, request):
        serializer = PasswordAndCodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _require_password(request, serializer.validated_data["password"])
        otp.totp_disable(user=request.user, code=serializer.validated_data["code"].strip())
        return Response({})


class TotpConfirmView(APIView):
    permission_classes = [HasScope, HasUser]
    required_scopes = {"POST": "write:accounts"}

    @extend_schema(request=CodeSerializer, responses={200: dict})
    def post(self, request):
        serializer = CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        otp.totp_setup_confirm(user=request.user, code=serializer.validated_data["code"].strip())
        return Response({"confirmed": True})
