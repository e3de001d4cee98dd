"""Mastodon's account endpoints beyond follows, blocks and mutes: search, familiar
followers, notes, removing a follower, endorsements, suggestions, domain blocks; and
``GET /api/v1/statuses?id[]=``. Thin: parse, call one service or selector, shape output."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.serializers import AccountSerializer
from apps.feed import selectors
from apps.feed.api.serializers import EmptySerializer, RelationshipSerializer, StatusSerializer
from apps.feed.api.views import StatusCreateView, UserView, _accounts_response
from apps.feed.selectors import account_extras, search
from apps.feed.services import account_extras as services
from core.api.pagination import paged_response
from core.errors import NotFound
from core.ids import parse_id
from core.pagination import offset_param, page_params
from core.params import truthy
from core.permissions import HasScope, HasUser

User = get_user_model()

# Mastodon's limits: accounts lists 40 (at most 80), statuses by id 20, domain blocks 100 (200).
ACCOUNTS_LIMIT, ACCOUNTS_MAX = 40, 80
STATUSES_BY_ID_MAX = 20
DOMAIN_BLOCKS_LIMIT, DOMAIN_BLOCKS_MAX = 100, 200
FAMILIAR_FOLLOWERS_MAX = 40


def _ids_param(request, *, most: int) -> list[int]:
    """``id[]`` (or ``id``) query values as ids, each once, in order; 422 when one is not an
    id or there are more than ``most``."""
    raw = request.query_params.getlist("id[]") or request.query_params.getlist("id")
    ids = [parse_id(value) for value in raw]
    if any(i is None for i in ids):
        raise ValidationError({"id": [_("must be ids")]})
    unique = list(dict.fromkeys(i for i in ids if i is not None))
    if len(unique) > most:
        raise ValidationError({"id": [_("at most %(count)d ids at once") % {"count": most}]})
    return unique


def _relationship_response(request, account_id: int) -> Response:
    sets = selectors.relationships(viewer=request.user, account_ids=[account_id])
    return Response(RelationshipSerializer(account_id, context={"relationships": sets}).data)


# Search and familiar followers -------------------------------------------------


class AccountSearchView(UserView):
    """``GET /api/v1/accounts/search``: accounts by username or display name prefix."""

    required_scopes = {"GET": "read:accounts"}

    @extend_schema(
        operation_id="accounts_search",
        parameters=[
            OpenApiParameter("q", str, required=True),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
            OpenApiParameter("resolve", bool),
            OpenApiParameter("following", bool),
        ],
        responses=AccountSerializer(many=True),
    )
    def get(self, request):
        query = request.query_params
        limit = page_params(request, default_limit=ACCOUNTS_LIMIT, max_limit=ACCOUNTS_MAX).limit
        offset = offset_param(request)
        q = query.get("q", "").strip()
        following = truthy(query.get("following", ""))
        if not q:
            return Response([])
        accounts = search.search_accounts(
            viewer=request.user, query=q, following=following, limit=limit, offset=offset
        )
        if offset == 0 and not following and (truthy(query.get("resolve", "")) or "@" in q):
            # As Mastodon: an exact acct comes first, even an account the viewer blocks.
            exact = search.account_exact_match(viewer=request.user, query=q)
            if exact is not None:
                accounts = [exact, *(a for a in accounts if a.pk != exact.pk)][:limit]
        return Response(AccountSerializer(accounts, many=True, context={"request": request}).data)


class FamiliarFollowerSerializer(serializers.Serializer):
    """Mastodon's FamiliarFollowers: the viewer's follows who follow account ``id``."""

    id = serializers.CharField()
    accounts = AccountSerializer(many=True)


class FamiliarFollowersView(UserView):
    """``GET /api/v1/accounts/familiar_followers?id[]=``."""

    required_scopes = {"GET": "read:follows"}

    @extend_schema(
        parameters=[OpenApiParameter("id[]", str, many=True)],
        responses=FamiliarFollowerSerializer(many=True),
    )
    def get(self, request):
        ids = _ids_param(request, most=FAMILIAR_FOLLOWERS_MAX)
        known = set(
            User.objects.able_to_act().filter(pk__in=ids).values_list("pk", flat=True)
        )  # unknown and unavailable accounts are left out, as Mastodon does
        ids = [i for i in ids if i in known]
        found = account_extras.familiar_followers(viewer=request.user, account_ids=ids)
        data = [{"id": str(i), "accounts": found[i]} for i in ids]
        return Response(
            FamiliarFollowerSerializer(data, many=True, context={"request": request}).data
        )


# Notes, removing a follower, endorsements -------------------------------------


class AccountNoteSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class AccountNoteView(UserView):
    """``POST /api/v1/accounts/:id/note``: the viewer's private note (``Relationship.note``)."""

    required_scopes = {"POST": "write:accounts"}

    @extend_schema(request=AccountNoteSerializer, responses=RelationshipSerializer)
    def post(self, request, account_id: int):
        target = selectors.account_get_for_viewer(viewer=request.user, account_id=account_id)
        body = AccountNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.account_note_set(
            account=request.user, target=target, comment=body.validated_data["comment"]
        )
        return _relationship_response(request, target.pk)


class RemoveFromFollowersView(UserView):
    """``POST /api/v1/accounts/:id/remove_from_followers``: that account stops following."""

    required_scopes = {"POST": "write:follows"}

    @extend_schema(request=None, responses=RelationshipSerializer)
    def post(self, request, account_id: int):
        follower = User.objects.filter(pk=account_id).first()
        if follower is None:
            raise NotFound()
        services.account_remove_from_followers(account=request.user, follower=follower)
        return _relationship_response(request, follower.pk)


class AccountEndorseView(UserView):
    """``POST /api/v1/accounts/:id/pin`` (``endorse``), ``/unpin`` (``unendorse``)."""

    required_scopes = {"POST": "write:accounts"}
    action = "pin"
    ACTIONS = ("pin", "unpin", "endorse", "unendorse")

    @extend_schema(request=None, responses=RelationshipSerializer)
    def post(self, request, account_id: int):
        if self.action in ("pin", "endorse"):
            target = selectors.account_get_for_viewer(viewer=request.user, account_id=account_id)
            services.account_endorse(account=request.user, target=target)
        else:
            target = User.objects.filter(pk=account_id).first()
            if target is None:
                raise NotFound()
            services.account_unendorse(account=request.user, target=target)
        return _relationship_response(request, target.pk)


class EndorsementsView(UserView):
    """``GET /api/v1/endorsements``: the accounts the viewer endorses."""

    required_scopes = {"GET": "read:accounts"}

    @extend_schema(responses=AccountSerializer(many=True))
    def get(self, request):
        params = page_params(request, default_limit=ACCOUNTS_LIMIT, max_limit=ACCOUNTS_MAX)
        rows, accounts = account_extras.endorsements_page(account=request.user, params=params)
        return _accounts_response(request, accounts, cursor_rows=rows, params=params)


class AccountEndorsementsView(APIView):
    """``GET /api/v1/accounts/:id/endorsements``: whom an account endorses on its profile."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "read:accounts"}

    @extend_schema(responses=AccountSerializer(many=True))
    def get(self, request, account_id: int):
        account = selectors.account_get_for_viewer(viewer=request.user, account_id=account_id)
        params = page_params(request, default_limit=ACCOUNTS_LIMIT, max_limit=ACCOUNTS_MAX)
        if not account.is_able_to_act:
            return Response([])
        rows, accounts = account_extras.endorsements_page(account=account, params=params)
        return _accounts_response(request, accounts, cursor_rows=rows, params=params)


# Suggestions ---------------------------------------------------------------------


class SuggestionSerializer(serializers.Serializer):
    """Mastodon's Suggestion (v2): why an account is suggested, and the account."""

    # Named as Mastodon's entity has it, over DRF's Field.source attribute.
    source = serializers.CharField(  # type: ignore[assignment]
        help_text="deprecated: staff, global or past_interactions"
    )
    sources = serializers.ListField(child=serializers.CharField())
    account = AccountSerializer()


class SuggestionsView(UserView):
    """``GET /api/v1/suggestions`` (accounts) and ``/api/v2/suggestions`` (Suggestions)."""

    required_scopes = {"GET": "read:accounts"}
    version = 1

    @extend_schema(
        parameters=[OpenApiParameter("limit", int)], responses=AccountSerializer(many=True)
    )
    def get(self, request):
        limit = page_params(request, default_limit=ACCOUNTS_LIMIT, max_limit=ACCOUNTS_MAX).limit
        accounts = account_extras.suggestions(viewer=request.user, limit=limit)
        context = {"request": request}
        if self.version == 1:
            return Response(AccountSerializer(accounts, many=True, context=context).data)
        data = [
            {"source": "global", "sources": ["most_followed"], "account": account}
            for account in accounts
        ]
        return Response(SuggestionSerializer(data, many=True, context=context).data)


class SuggestionsV2View(SuggestionsView):
    version = 2

    @extend_schema(
        parameters=[OpenApiParameter("limit", int)], responses=SuggestionSerializer(many=True)
    )
    def get(self, request):
        return super().get(request)


class SuggestionDismissView(UserView):
    """``DELETE /api/v1/suggestions/:account_id``: never suggest that account again."""

    required_scopes = {"DELETE": "write:accounts"}

    @extend_schema(responses={200: EmptySerializer})
    def delete(self, request, account_id: int):
        target = User.objects.filter(pk=account_id).first()
        if target is None:
            raise NotFound()
        services.suggestion_dismiss(account=request.user, target=target)
        return Response({})


# Domain blocks -------------------------------------------------------------------


class DomainSerializer(serializers.Serializer):
    domain = serializers.CharField(required=False, allow_blank=True, default="")


class DomainBlocksView(UserView):
    """``GET/POST/DELETE /api/v1/domain_blocks``: the domains the viewer blocks."""

    required_scopes = {"GET": "read:blocks", "POST": "write:blocks", "DELETE": "write:blocks"}

    @extend_schema(
        responses=OpenApiResponse(
            response={"type": "array", "items": {"type": "string"}},
            description="The blocked domains, newest first.",
        )
    )
    def get(self, request):
        params = page_params(
            request, default_limit=DOMAIN_BLOCKS_LIMIT, max_limit=DOMAIN_BLOCKS_MAX
        )
        rows = account_extras.domain_blocks_page(viewer=request.user, params=params)
        return paged_response(request, [row.domain for row in rows], rows=rows, params=params)

    def _domain(self, request) -> str:
        body = DomainSerializer(data=request.data or request.query_params)
        body.is_valid(raise_exception=True)
        return body.validated_data["domain"]

    @extend_schema(request=DomainSerializer, responses=EmptySerializer)
    def post(self, request):
        services.domain_block_create(account=request.user, domain=self._domain(request))
        return Response({})

    @extend_schema(
        request=DomainSerializer,
        parameters=[OpenApiParameter("domain", str)],
        responses={200: EmptySerializer},
    )
    def delete(self, request):
        services.domain_block_delete(account=request.user, domain=self._domain(request))
        return Response({})


# Several statuses at once --------------------------------------------------------


class StatusesView(StatusCreateView):
    """``/api/v1/statuses``: ``POST`` publishes (:class:`StatusCreateView`); ``GET ?id[]=``
    answers the statuses the viewer may see among those ids, in their order (at most 20)."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "read:statuses", "POST": "write:statuses"}

    def get_permissions(self):
        if self.request.method == "GET":
            return [HasScope()]
        return [HasScope(), HasUser()]

    @extend_schema(
        operation_id="statuses_list",
        parameters=[OpenApiParameter("id[]", str, many=True)],
        responses=StatusSerializer(many=True),
    )
    def get(self, request):
        ids = _ids_param(request, most=STATUSES_BY_ID_MAX)
        statuses = account_extras.statuses_visible_in_order(viewer=request.user, ids=ids)
        state = selectors.viewer_state(viewer=request.user, statuses=statuses)
        data = StatusSerializer(
            statuses, many=True, context={"request": request, "viewer_state": state}
        ).data
        return Response(data)
