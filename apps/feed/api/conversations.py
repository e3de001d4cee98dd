"""Direct conversations and thread mutes, as Mastodon's API has them.

- ``GET /api/v1/conversations``: the viewer's conversations, newest last status first, paged
  by last status id (``max_id``, ``since_id``, ``min_id``, ``limit``) as Mastodon pages them;
- ``POST /api/v1/conversations/:id/read``: mark one read, answering the Conversation;
- ``DELETE /api/v1/conversations/:id``: remove it for the viewer only, answering ``{}``;
- ``POST /api/v1/statuses/:id/mute`` and ``/unmute``: mute a thread's notifications,
  answering the Status (its ``muted`` follows).

The Conversation entity (``id``, ``unread``, ``accounts``, ``last_status``) is rendered here
for the REST API and for the ``direct`` stream (:func:`conversation_event_payload`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.serializers import AccountSerializer
from apps.feed import selectors, services
from apps.feed.api.serializers import EmptySerializer, StatusSerializer
from core.api.pagination import paged_response
from core.api.renderers import JSONRenderer
from core.pagination import page_params
from core.permissions import HasScope, HasUser


class ConversationSerializer(serializers.Serializer):
    """Mastodon's Conversation (the schema; :func:`render_conversations` renders it)."""

    id = serializers.CharField()
    unread = serializers.BooleanField()
    accounts = AccountSerializer(many=True)
    last_status = StatusSerializer(allow_null=True)


def render_conversations(views, state, *, request=None) -> list[dict[str, Any]]:
    """Conversation entities for ``views`` (ConversationView): their last statuses rendered
    together, through the entity cache, with the viewer's own flags."""
    context = {"request": request, "viewer_state": state}
    statuses = StatusSerializer(
        [view.last_status for view in views], many=True, context=context
    ).data
    return [
        {
            "id": str(view.id),
            "unread": view.row.unread,
            "accounts": AccountSerializer(view.accounts, many=True, context=context).data,
            "last_status": status,
        }
        for view, status in zip(views, statuses, strict=True)
    ]


def conversation_event_payload(*, viewer, account_conversation_id: int) -> str | None:
    """The Conversation entity a ``direct`` stream event carries, as JSON; None when
    ``viewer`` may not see it (:func:`apps.feed.selectors.account_conversation_for_stream`)."""
    found = selectors.account_conversation_for_stream(
        viewer=viewer, account_conversation_id=account_conversation_id
    )
    if found is None:
        return None
    view, state = found
    return JSONRenderer().render(render_conversations([view], state)[0]).decode()


class ConversationListView(APIView):
    permission_classes = [HasScope, HasUser]
    required_scopes = {"GET": "read:statuses"}

    @extend_schema(operation_id="conversations_list", responses=ConversationSerializer(many=True))
    def get(self, request):
        params = page_params(request)
        views, state = selectors.conversations_page(viewer=request.user, params=params)
        data = render_conversations(views, state, request=request)
        return paged_response(request, data, rows=views, params=params, key="last_status_id")


class ConversationReadView(APIView):
    permission_classes = [HasScope, HasUser]
    required_scopes = {"POST": "write:conversations"}

    @extend_schema(request=None, responses=ConversationSerializer)
    def post(self, request, conversation_id: int):
        selectors.conversation_get_for_viewer(
            viewer=request.user, account_conversation_id=conversation_id
        )
        services.conversation_read(account=request.user, account_conversation_id=conversation_id)
        view, state = selectors.conversation_get_for_viewer(
            viewer=request.user, account_conversation_id=conversation_id
        )
        return Response(render_conversations([view], state, request=request)[0])


class ConversationDetailView(APIView):
    permission_classes = [HasScope, HasUser]
    required_scopes = {"DELETE": "write:conversations"}

    @extend_schema(responses={200: EmptySerializer})
    def delete(self, request, conversation_id: int):
        selectors.conversation_get_for_viewer(
            viewer=request.user, account_conversation_id=conversation_id
        )
        services.conversation_remove(account=request.user, account_conversation_id=conversation_id)
        return Response({})


class StatusMuteView(APIView):
    """``POST /api/v1/statuses/:id/mute`` and ``/unmute``: any status the viewer may see."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"POST": "write:mutes"}
    action = "mute"

    @extend_schema(request=None, responses=StatusSerializer)
    def post(self, request, status_id: int):
        status = selectors.status_get_for_viewer(viewer=request.user, status_id=status_id)
        service = services.status_mute if self.action == "mute" else services.status_unmute
        service(status=status, account=request.user)
        status = selectors.status_get_for_viewer(viewer=request.user, status_id=status.pk)
        state = selectors.viewer_state(viewer=request.user, statuses=[status])
        return Response(
            StatusSerializer(status, context={"request": request, "viewer_state": state}).data
        )
