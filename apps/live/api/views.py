"""Live's platform API: streams, their keys, ending and deleting them. Thin."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.live import selectors, services
from apps.live.api.serializers import (
    StreamCreateSerializer,
    StreamSerializer,
    StreamWithKeySerializer,
)
from apps.live.services.viewers import viewers_now
from core import errors
from core.api.pagination import paged_response
from core.api.schema import error_response
from core.ids import parse_id
from core.pagination import page_params, paginate_queryset
from core.permissions import HasScope, HasUser, HasUserToWrite

PAGE_PARAMETERS = [
    OpenApiParameter("max_id", str),
    OpenApiParameter("since_id", str),
    OpenApiParameter("min_id", str),
    OpenApiParameter("limit", int),
]
READ, WRITE = "read:statuses", "write:statuses"


def _with_key(stream, key: str) -> Response:
    return Response(
        StreamWithKeySerializer(
            stream, context={"stream_key": key, "viewer_id": stream.account_id}
        ).data
    )


class StreamListView(APIView):
    """``GET /api/agora/v1/live/streams`` (what is live now) and ``POST`` (a new stream)."""

    permission_classes = [HasScope, HasUserToWrite]
    required_scopes = {"GET": READ, "POST": WRITE}

    @extend_schema(
        operation_id="live_streams",
        parameters=[
            OpenApiParameter("account_id", str, description="Only this account's stream."),
            *PAGE_PARAMETERS,
        ],
        responses=StreamSerializer(many=True),
    )
    def get(self, request):
        account_id = None
        raw = request.query_params.get("account_id")
        if raw:
            account_id = parse_id(raw)
            if account_id is None:
                raise errors.Invalid({"account_id": [_("is not an id")]})
        params = page_params(request)
        rows = paginate_queryset(
            selectors.streams_live(viewer=request.user, account_id=account_id), params
        )
        counts = viewers_now([row.pk for row in rows])
        return paged_response(
            request,
            StreamSerializer(
                rows, many=True, context={"viewers": counts, "viewer_id": request.user.pk}
            ).data,
            rows=rows,
            params=params,
        )

    @extend_schema(
        operation_id="live_stream_create",
        request=StreamCreateSerializer,
        responses={
            200: StreamWithKeySerializer,
            403: error_response(
                "The account may not go live: its plan, a restriction or its standing, named."
            ),
        },
    )
    def post(self, request):
        form = StreamCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        stream, key = services.stream_create(
            account=request.user,
            title=data["title"],
            description=data["description"],
            visibility=data["visibility"],
            chat_settings=dict(data.get("chat_settings") or {}),
        )
        return _with_key(stream, key)


class StreamDetailView(APIView):
    """``GET``/``DELETE /api/agora/v1/live/streams/:id``: one stream; delete an idle or ended one."""

    permission_classes = [HasScope, HasUserToWrite]
    required_scopes = {"GET": READ, "DELETE": WRITE}

    @extend_schema(operation_id="live_stream", responses=StreamSerializer)
    def get(self, request, stream_id: int):
        stream = selectors.stream_get_for_viewer(viewer=request.user, stream_id=stream_id)
        counts = viewers_now([stream.pk]) if stream.state == stream.State.LIVE else {}
        return Response(
            StreamSerializer(stream, context={"viewers": counts, "viewer_id": request.user.pk}).data
        )

    @extend_schema(
        operation_id="live_stream_delete",
        responses={
            200: StreamSerializer,
            409: error_response("The stream is live: end it first."),
        },
    )
    def delete(self, request, stream_id: int):
        stream = selectors.stream_get_for_owner(owner=request.user, stream_id=stream_id)
        data = StreamSerializer(stream, context={"viewer_id": request.user.pk}).data
        services.stream_delete(stream=stream)
        return Response(data)


class StreamEndView(APIView):
    """``POST /api/agora/v1/live/streams/:id/end``: the owner ends the stream."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"POST": WRITE}

    @extend_schema(operation_id="live_stream_end", request=None, responses=StreamSerializer)
    def post(self, request, stream_id: int):
        stream = selectors.stream_get_for_owner(owner=request.user, stream_id=stream_id)
        stream = services.stream_end(stream=stream, actor=request.user, reason="ended by its owner")
        return Response(StreamSerializer(stream, context={"viewer_id": request.user.pk}).data)


class StreamRotateKeyView(APIView):
    """``POST /api/agora/v1/live/streams/:id/rotate_key``: a new key; the old one is refused."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"POST": WRITE}

    @extend_schema(
        operation_id="live_stream_rotate_key", request=None, responses=StreamWithKeySerializer
    )
    def post(self, request, stream_id: int):
        stream = selectors.stream_get_for_owner(owner=request.user, stream_id=stream_id)
        stream, key = services.stream_rotate_key(stream=stream)
        return _with_key(stream, key)
