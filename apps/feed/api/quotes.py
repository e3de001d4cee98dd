"""Quotes (Mastodon 4.5): a status's quotes, revoking one, and a status's quote policy.

``GET /api/v1/statuses/:id/quotes``, ``POST /api/v1/statuses/:id/quotes/:quoting_status_id/revoke``
and ``PUT /api/v1/statuses/:id/interaction_policy``. Quoting itself is ``quoted_status_id`` on
``POST /api/v1/statuses`` (:class:`apps.feed.api.views.StatusCreateView`).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from apps.accounts.models import QuoteApprovalPolicy
from apps.feed import selectors, services
from apps.feed.api.serializers import StatusSerializer
from apps.feed.api.views import UserView, _status_response, _statuses_response
from apps.feed.selectors import quotes as quote_selectors
from core.api.schema import error_response
from core.pagination import page_params
from core.permissions import HasScope


class InteractionPolicySerializer(serializers.Serializer):
    """Input of ``PUT /api/v1/statuses/:id/interaction_policy``."""

    quote_approval_policy = serializers.ChoiceField(
        choices=QuoteApprovalPolicy.choices, required=False, allow_null=True
    )


class StatusQuotesView(APIView):
    """The accepted quotes of a status that the viewer may see, newest first (Mastodon's
    ``Api::V1::Statuses::QuotesController#index``), paged by the quote's id."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "read:statuses"}

    @extend_schema(responses=StatusSerializer(many=True), operation_id="statuses_quotes_list")
    def get(self, request, status_id: int):
        status = selectors.status_get_for_viewer(viewer=request.user, status_id=status_id)
        params = page_params(request)
        rows, statuses = quote_selectors.quotes_of_status(
            viewer=request.user, status=status, params=params
        )
        return _statuses_response(request, statuses, cursor_rows=rows, params=params)


class StatusQuoteRevokeView(UserView):
    """The quoted author withdraws its approval of one quote: it becomes ``revoked``. Answers
    the quoting status. 404 for anyone else (Mastodon's ``QuotesController#revoke``)."""

    required_scopes = {"POST": "write:statuses"}

    @extend_schema(request=None, responses=StatusSerializer)
    def post(self, request, status_id: int, quoting_status_id: int):
        status = selectors.status_get_for_viewer(viewer=request.user, status_id=status_id)
        quote = services.quote_revoke(
            status=status, quoting_status_id=quoting_status_id, actor=request.user
        )
        return _status_response(
            request, selectors.status_get_for_viewer(viewer=request.user, status_id=quote.status_id)
        )


class StatusInteractionPolicyView(UserView):
    """Change who may quote one's own status (Mastodon's ``InteractionPoliciesController``)."""

    required_scopes = {"PUT": "write:statuses"}

    @extend_schema(
        request=InteractionPolicySerializer,
        responses={200: StatusSerializer, 403: error_response("Not the author of the status.")},
    )
    def put(self, request, status_id: int):
        status = selectors.status_get_for_viewer(viewer=request.user, status_id=status_id)
        form = InteractionPolicySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.status_quote_policy_update(
            status=status,
            actor=request.user,
            quote_approval_policy=form.validated_data.get("quote_approval_policy"),
        )
        return _status_response(
            request, selectors.status_get_for_viewer(viewer=request.user, status_id=status.pk)
        )
