"""Mastodon's lists: ``/api/v1/lists`` (and ``/:id``, ``/:id/accounts``),
``/api/v1/accounts/:id/lists`` and the list timeline ``/api/v1/timelines/list/:id``.

Bodies come as forms, JSON or multipart, with ``account_ids[]`` (form) or ``account_ids``
(JSON); ``/:id/accounts`` takes them from the query string too (Tusky's ``DELETE`` sends them
there), as Mastodon reads parameters from either.
Someone else's list is a 404.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.accounts.api.serializers import AccountSerializer
from apps.feed import selectors, services
from apps.feed.api.serializers import EmptySerializer, StatusSerializer
from apps.feed.api.views import UserView, _accounts_response, _statuses_response
from apps.feed.models import List
from core.pagination import page_params

ACCOUNTS_DEFAULT_LIMIT = 40
ACCOUNTS_MAX_LIMIT = 80


class ListSerializer(serializers.ModelSerializer):
    """Mastodon's List entity."""

    id = serializers.CharField(read_only=True)
    replies_policy = serializers.ChoiceField(choices=List.RepliesPolicy.choices, read_only=True)

    class Meta:
        model = List
        fields = ["id", "title", "replies_policy", "exclusive"]


class ListWriteSerializer(serializers.Serializer):
    """The fields a client sends; their rules are the service's (blank, length, policy)."""

    title = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    replies_policy = serializers.CharField(required=False)
    exclusive = serializers.BooleanField(required=False)


class ListAccountsSerializer(serializers.Serializer):
    account_ids = serializers.ListField(child=serializers.CharField(), required=False)


def _account_ids(request) -> list[str]:
    """``account_ids[]`` of a form, ``account_ids`` of JSON (a list, or one id), or else the
    query string's (Mastodon reads its parameters from either)."""
    data = request.data
    raw: object = None
    if hasattr(data, "getlist"):
        raw = data.getlist("account_ids[]") or data.getlist("account_ids") or None
    elif isinstance(data, dict):
        raw = data.get("account_ids", data.get("account_ids[]"))
    if raw is None:
        query = request.query_params
        raw = query.getlist("account_ids[]") or query.getlist("account_ids")
    if raw is None:
        return []
    if isinstance(raw, (str, int)):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(v, (str, int)) for v in raw):
        raise ValidationError({"account_ids": [_("must be a list of account ids")]})
    return [str(v) for v in raw]


def _owned(request, list_id) -> List:
    return selectors.list_get_for_owner(owner=request.user, list_id=list_id)


class ListsView(UserView):
    """``GET /api/v1/lists`` (every list, not paged, as Mastodon's) and ``POST``."""

    required_scopes = {"GET": "read:lists", "POST": "write:lists"}

    @extend_schema(responses=ListSerializer(many=True), operation_id="lists_index")
    def get(self, request):
        return Response(
            ListSerializer(selectors.lists_for_owner(owner=request.user), many=True).data
        )

    @extend_schema(
        request=ListWriteSerializer, responses=ListSerializer, operation_id="lists_create"
    )
    def post(self, request):
        form = ListWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        created = services.list_create(
            owner=request.user,
            title=data.get("title", ""),
            replies_policy=data.get("replies_policy") or List.RepliesPolicy.LIST,
            exclusive=data.get("exclusive", False),
        )
        return Response(ListSerializer(created).data)


class ListDetailView(UserView):
    required_scopes = {"GET": "read:lists", "PUT": "write:lists", "DELETE": "write:lists"}

    @extend_schema(responses=ListSerializer, operation_id="lists_get")
    def get(self, request, list_id: int):
        return Response(ListSerializer(_owned(request, list_id)).data)

    @extend_schema(
        request=ListWriteSerializer, responses=ListSerializer, operation_id="lists_update"
    )
    def put(self, request, list_id: int):
        list_ = _owned(request, list_id)
        form = ListWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        updated = services.list_update(
            list_=list_,
            owner=request.user,
            title=data.get("title"),
            replies_policy=data.get("replies_policy"),
            exclusive=data.get("exclusive"),
        )
        return Response(ListSerializer(updated).data)

    @extend_schema(responses={200: EmptySerializer}, operation_id="lists_delete")
    def delete(self, request, list_id: int):
        services.list_delete(list_=_owned(request, list_id), owner=request.user)
        return Response({})


class ListAccountsView(UserView):
    """The members: ``GET`` (paged by account id; ``limit=0`` answers them all), ``POST``
    and ``DELETE`` with ``account_ids``."""

    required_scopes = {"GET": "read:lists", "POST": "write:lists", "DELETE": "write:lists"}

    @extend_schema(
        responses=AccountSerializer(many=True),
        parameters=[
            OpenApiParameter("limit", int, description="At most 80; 0 answers every member.")
        ],
        operation_id="lists_accounts",
    )
    def get(self, request, list_id: int):
        list_ = _owned(request, list_id)
        if request.query_params.get("limit") == "0":
            _rows, accounts = selectors.list_accounts_page(list_=list_, params=None)
            return Response(
                AccountSerializer(accounts, many=True, context={"request": request}).data
            )
        params = page_params(
            request, default_limit=ACCOUNTS_DEFAULT_LIMIT, max_limit=ACCOUNTS_MAX_LIMIT
        )
        _rows, accounts = selectors.list_accounts_page(list_=list_, params=params)
        return _accounts_response(request, accounts, cursor_rows=accounts, params=params)

    @extend_schema(
        request=ListAccountsSerializer,
        responses={200: EmptySerializer},
        operation_id="lists_accounts_add",
    )
    def post(self, request, list_id: int):
        list_ = _owned(request, list_id)
        account_ids = _account_ids(request)
        services.list_accounts_add(list_=list_, owner=request.user, account_ids=account_ids)
        return Response({})

    @extend_schema(
        request=ListAccountsSerializer,
        responses={200: EmptySerializer},
        parameters=[OpenApiParameter("account_ids[]", str, many=True)],
        operation_id="lists_accounts_remove",
    )
    def delete(self, request, list_id: int):
        list_ = _owned(request, list_id)
        account_ids = _account_ids(request)
        services.list_accounts_remove(list_=list_, owner=request.user, account_ids=account_ids)
        return Response({})


class AccountListsView(UserView):
    """``GET /api/v1/accounts/:id/lists``: the viewer's lists the account is on."""

    required_scopes = {"GET": "read:lists"}

    @extend_schema(responses=ListSerializer(many=True), operation_id="accounts_lists")
    def get(self, request, account_id: int):
        account = selectors.account_get_for_viewer(viewer=request.user, account_id=account_id)
        lists = selectors.lists_containing(owner=request.user, account_id=account.pk)
        return Response(ListSerializer(lists, many=True).data)


class ListTimelineView(UserView):
    """``GET /api/v1/timelines/list/:id``: the list's statuses, newest first, paged."""

    required_scopes = {"GET": "read:lists"}

    @extend_schema(responses=StatusSerializer(many=True), operation_id="timelines_list")
    def get(self, request, list_id: int):
        list_ = _owned(request, list_id)
        params = page_params(request)
        statuses = selectors.list_timeline(list_=list_, params=params)
        return _statuses_response(request, statuses, params=params)
