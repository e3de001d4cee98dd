"""``GET``/``PUT /api/agora/v1/protection/shield``: the account's own shield.

``GET`` tells whether it is up, why, until when, what it does, and how many strangers
it muted and notifications it filtered so far (the last shield's recap once down).
``PUT`` raises it (``{"active": true, "days": 3}``) or lowers it (``{"active": false}``).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.protection import selectors
from apps.protection.services import shields
from core import errors
from core.api.schema import error_response
from core.permissions import HasScope, HasUser


class ShieldInputSerializer(serializers.Serializer):
    """What ``PUT`` takes (validated by the service, which names the bad field)."""

    active = serializers.BooleanField(help_text=_("Raise (true) or lower (false) the shield."))
    days = serializers.IntegerField(
        required=False,
        help_text=_("How long a raised shield stays up, in days (1 to 30 by default)."),
    )


class ShieldRecapSerializer(serializers.Serializer):
    muted = serializers.IntegerField(help_text=_("Hostile strangers muted for the account."))
    filtered = serializers.IntegerField(help_text=_("Notifications filtered into requests."))


class ShieldSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    source = serializers.CharField(  # type: ignore[assignment]
        allow_null=True, help_text=_("pile_on or account; null when no shield was ever up.")
    )
    started_at = serializers.DateTimeField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    explanation = serializers.CharField(help_text=_("What the shield does, in words."))
    muted = serializers.IntegerField(help_text=_("Strangers muted by this shield."))
    filtered = serializers.IntegerField(help_text=_("Notifications filtered while it is up."))
    recap = ShieldRecapSerializer(allow_null=True, help_text=_("The last shield's recap."))
    min_days = serializers.IntegerField()
    max_days = serializers.IntegerField()


def shield_answer(account) -> dict:
    shield = selectors.shield_latest(account_id=account.pk)
    answer = {
        "active": False,
        "source": None,
        "started_at": None,
        "until": None,
        "ended_at": None,
        "explanation": str(
            _(
                "Your shield is down. Raise it to send notifications from accounts you don't "
                "follow and from new accounts to your notification requests, and to hold your "
                "scheduled posts."
            )
        ),
        "muted": 0,
        "filtered": 0,
        "recap": None,
        "min_days": settings.PROTECTION_SHIELD_MIN_DAYS,
        "max_days": settings.PROTECTION_SHIELD_MAX_DAYS,
    }
    if shield is None:
        return answer
    answer |= {
        "source": shield.source,
        "started_at": shield.started_at,
        "until": shield.until,
        "ended_at": shield.ended_at,
        "recap": shield.recap,
    }
    if shield.is_active:
        counts = selectors.shield_counts(shield=shield, now=timezone.now())
        answer |= {"active": True, "explanation": shields.shield_explanation(shield), **counts}
    return answer


class ShieldView(APIView):
    """422 for an ``active`` that is not a boolean or ``days`` out of range."""

    permission_classes = [HasUser, HasScope]
    required_scopes = {"GET": "read:accounts", "PUT": "write:accounts"}

    @extend_schema(operation_id="protection_shield", responses={200: ShieldSerializer})
    def get(self, request):
        return Response(ShieldSerializer(shield_answer(request.user)).data)

    @extend_schema(
        operation_id="protection_shield_set",
        request=ShieldInputSerializer,
        responses={200: ShieldSerializer, 422: error_response("A bad value, named.")},
    )
    def put(self, request):
        data = request.data
        if not isinstance(data, Mapping):
            raise errors.Invalid(
                {"active": [_('send an object, e.g. {"active": true, "days": 3}')]}
            )
        shields.shield_set_by_account(
            account=request.user, active=data.get("active"), days=data.get("days")
        )
        return Response(ShieldSerializer(shield_answer(request.user)).data)
