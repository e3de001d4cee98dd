"""Billing's platform API: plans, the account's subscription, Checkout and the portal. Thin."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import selectors, services, stripe_api
from apps.billing.api.serializers import (
    CheckoutRequestSerializer,
    LedgerLineSerializer,
    OnboardingSerializer,
    PlanSerializer,
    RedirectSerializer,
    StatementSerializer,
    SubscriptionSerializer,
    TierCreateSerializer,
    TierSerializer,
    TierUpdateSerializer,
)
from core import errors
from core.api.pagination import paged_response
from core.api.schema import error_response
from core.entitlements import entitlements_for
from core.pagination import page_params, paginate_queryset
from core.permissions import HasScope, HasUser

PAGE_PARAMETERS = [
    OpenApiParameter("max_id", str),
    OpenApiParameter("since_id", str),
    OpenApiParameter("min_id", str),
    OpenApiParameter("limit", int),
]

NOT_CONFIGURED = error_response(
    "Billing is not configured on this server, or Stripe is out of reach."
)


class BillingView(APIView):
    permission_classes = [HasScope, HasUser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        stripe_api.require_configured()


class PlanListView(BillingView):
    """``GET /api/agora/v1/billing/plans``: the plans on offer, cheapest first."""

    required_scopes = {"GET": "read:accounts"}

    @extend_schema(
        operation_id="billing_plans",
        responses={200: PlanSerializer(many=True), 503: NOT_CONFIGURED},
    )
    def get(self, request):
        return Response(PlanSerializer(selectors.plans_offered(), many=True).data)


class SubscriptionView(BillingView):
    """``GET /api/agora/v1/billing/subscription``: the plan, status, renewal and notices."""

    required_scopes = {"GET": "read:accounts"}

    @extend_schema(
        operation_id="billing_subscription",
        responses={200: SubscriptionSerializer, 503: NOT_CONFIGURED},
    )
    def get(self, request):
        account = request.user
        subscription = selectors.subscription_current(account.pk)
        entitlements = entitlements_for(account)
        data = {
            "tier": entitlements.tier,
            "plan": subscription.plan if subscription is not None else None,
            "status": subscription.status if subscription is not None else None,
            "current_period_end": getattr(subscription, "current_period_end", None),
            "cancel_at_period_end": bool(getattr(subscription, "cancel_at_period_end", False)),
            "grace_until": getattr(subscription, "grace_until", None),
            "entitlements": entitlements,
            "notices": selectors.notices_recent(account.pk),
        }
        return Response(SubscriptionSerializer(data).data)


class CheckoutView(BillingView):
    """``POST /api/agora/v1/billing/checkout`` (a plan's price): a Stripe Checkout URL."""

    required_scopes = {"POST": "write:accounts"}

    @extend_schema(
        operation_id="billing_checkout",
        request=CheckoutRequestSerializer,
        responses={
            200: RedirectSerializer,
            409: error_response("The account already has a plan: use the portal."),
            503: NOT_CONFIGURED,
        },
    )
    def post(self, request):
        form = CheckoutRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        url = services.checkout_create(account=request.user, price=form.validated_data["price"])
        return Response({"url": url})


class PortalView(BillingView):
    """``POST /api/agora/v1/billing/portal``: a Stripe Customer Portal URL."""

    required_scopes = {"POST": "write:accounts"}

    @extend_schema(
        operation_id="billing_portal",
        request=None,
        responses={
            200: RedirectSerializer,
            409: error_response("The account has no billing account yet."),
            503: NOT_CONFIGURED,
        },
    )
    def post(self, request):
        return Response({"url": services.portal_create(account=request.user)})


# Creators -------------------------------------------------------------------------


def _period(request) -> dt.date:
    raw = request.query_params.get("period")
    if not raw:
        return timezone.now().date().replace(day=1)
    year, _sep, month = raw.partition("-")
    try:
        if len(year) != 4 or len(month) != 2:
            raise ValueError(raw)
        return dt.date(int(year), int(month), 1)
    except ValueError:
        raise errors.Invalid({"period": [_("must be a month, YYYY-MM")]}) from None


PERIOD = OpenApiParameter("period", str, description="A month, YYYY-MM (this month by default).")


class OnboardingView(BillingView):
    """``GET``/``POST /api/agora/v1/billing/payouts/onboarding``: Connect Express setup."""

    required_scopes = {"GET": "read:accounts", "POST": "write:accounts"}

    @extend_schema(
        operation_id="billing_onboarding_state",
        responses={200: OnboardingSerializer, 503: NOT_CONFIGURED},
    )
    def get(self, request):
        connect = selectors.connect_account(request.user.pk)
        data = {
            "state": connect.state if connect else "none",
            "charges_enabled": bool(connect and connect.charges_enabled),
            "payouts_enabled": bool(connect and connect.payouts_enabled),
            "requirements_due": list(connect.requirements_due) if connect else [],
        }
        return Response(OnboardingSerializer(data).data)

    @extend_schema(
        operation_id="billing_onboarding_start",
        request=None,
        responses={200: RedirectSerializer, 503: NOT_CONFIGURED},
    )
    def post(self, request):
        return Response({"url": services.connect_onboarding_start(account=request.user)})


class TierListView(BillingView):
    """``GET``/``POST /api/agora/v1/billing/tiers``: the signed-in creator's tiers."""

    required_scopes = {"GET": "read:accounts", "POST": "write:accounts"}

    @extend_schema(
        operation_id="billing_tiers",
        responses={200: TierSerializer(many=True), 503: NOT_CONFIGURED},
    )
    def get(self, request):
        return Response(TierSerializer(selectors.tiers_of(request.user.pk), many=True).data)

    @extend_schema(
        operation_id="billing_tier_create",
        request=TierCreateSerializer,
        responses={
            200: TierSerializer,
            409: error_response("Payouts are not set up, or a tier has that name."),
            503: NOT_CONFIGURED,
        },
    )
    def post(self, request):
        form = TierCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        tier = services.tier_create(creator=request.user, **form.validated_data)
        return Response(TierSerializer(tier).data)


class TierDetailView(BillingView):
    """``PATCH``/``DELETE /api/agora/v1/billing/tiers/:id``: change or retire one of your tiers."""

    required_scopes = {"PATCH": "write:accounts", "DELETE": "write:accounts"}

    def _tier(self, request, tier_id: int):
        tier = selectors.tiers_of(request.user.pk).filter(pk=tier_id).first()
        if tier is None:
            raise errors.NotFound()
        return tier

    @extend_schema(
        operation_id="billing_tier_update",
        request=TierUpdateSerializer,
        responses={
            200: TierSerializer,
            409: error_response("Another tier has that name."),
            503: NOT_CONFIGURED,
        },
    )
    def patch(self, request, tier_id: int):
        form = TierUpdateSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        tier = services.tier_update(tier=self._tier(request, tier_id), **form.validated_data)
        return Response(TierSerializer(tier).data)

    @extend_schema(
        operation_id="billing_tier_retire", responses={200: TierSerializer, 503: NOT_CONFIGURED}
    )
    def delete(self, request, tier_id: int):
        tier = self._tier(request, tier_id)
        services.tier_retire(tier=tier)
        return Response(TierSerializer(tier).data)


class CreatorTiersView(BillingView):
    """``GET /api/agora/v1/billing/creators/:account_id/tiers``: what a fan can subscribe to."""

    required_scopes = {"GET": "read:accounts"}

    @extend_schema(
        operation_id="billing_creator_tiers",
        responses={200: TierSerializer(many=True), 503: NOT_CONFIGURED},
    )
    def get(self, request, account_id: int):
        return Response(TierSerializer(selectors.tiers_of(account_id), many=True).data)


class EarningsView(BillingView):
    """``GET /api/agora/v1/billing/earnings``: the creator's statement for a month."""

    required_scopes = {"GET": "read:accounts"}

    @extend_schema(
        operation_id="billing_earnings",
        parameters=[PERIOD],
        responses={200: StatementSerializer, 503: NOT_CONFIGURED},
    )
    def get(self, request):
        return Response(
            StatementSerializer(selectors.statement(request.user.pk, _period(request))).data
        )


class EarningsLinesView(BillingView):
    """``GET /api/agora/v1/billing/earnings/lines``: the month's ledger entries, newest first."""

    required_scopes = {"GET": "read:accounts"}

    @extend_schema(
        operation_id="billing_earnings_lines",
        parameters=[PERIOD, *PAGE_PARAMETERS],
        responses={200: LedgerLineSerializer(many=True), 503: NOT_CONFIGURED},
    )
    def get(self, request):
        params = page_params(request, default_limit=40, max_limit=200)
        rows = paginate_queryset(selectors.ledger_lines(request.user.pk, _period(request)), params)
        return paged_response(
            request, LedgerLineSerializer(rows, many=True).data, rows=rows, params=params
        )
