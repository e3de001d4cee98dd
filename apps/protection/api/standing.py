"""``GET /api/agora/v1/account/standing``: the signed-in account's standing page. Thin."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.protection.api.serializers import StandingSerializer
from apps.protection.standing import account_standing_page
from core.permissions import HasScope, HasUser


class AccountStandingView(APIView):
    """Where the account is visible, limited or hidden, why, since and until when.

    Derived from the rules the surfaces apply (:mod:`core.standing`): nothing limits an
    account's reach without showing up here.
    """

    # A suspended or disabled account may read it: it is how it learns why, and till when.
    admits_barred_accounts = True
    permission_classes = [HasScope, HasUser]
    required_scopes = {"GET": "read:accounts"}

    @extend_schema(operation_id="account_standing", responses={200: StandingSerializer})
    def get(self, request):
        page = account_standing_page(account=request.user)
        return Response(StandingSerializer(page).data)
