"""Mastodon's polls: ``GET /api/v1/polls/:id`` and ``POST /api/v1/polls/:id/votes``.

A poll is visible to whoever may see its status (else 404). The Poll entity is
:class:`apps.feed.api.serializers.PollSerializer`, beside the Status entity that
embeds it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.feed import services
from apps.feed.api.serializers import PollSerializer
from apps.feed.models import Poll
from apps.feed.selectors import polls as poll_selectors
from core.permissions import HasScope, HasUser


def _poll_response(request, poll: Poll) -> Response:
    voted = poll_selectors.polls_voted(viewer=request.user, polls=[poll])
    return Response(PollSerializer(poll, context={"polls_voted": voted}).data)


class PollDetailView(APIView):
    """``GET /api/v1/polls/:id``: anyone who may see the status (a token is optional)."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "read:statuses"}

    @extend_schema(responses=PollSerializer)
    def get(self, request, poll_id: int):
        return _poll_response(
            request, poll_selectors.poll_get_for_viewer(viewer=request.user, poll_id=poll_id)
        )


class PollVoteSerializer(serializers.Serializer):
    """Input of ``POST /api/v1/polls/:id/votes``: ``choices[]`` (form) or ``choices`` (JSON)."""

    choices = serializers.ListField(
        child=serializers.CharField(max_length=20), allow_empty=False, max_length=64
    )

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):  # form fields: ``choices[]=0&choices[]=2``
            if "choices[]" in data and "choices" not in data:
                data = data.copy()
                data.setlist("choices", data.getlist("choices[]"))
            return super().to_internal_value(data)
        if not isinstance(data, dict):
            raise ValidationError({"choices": [_("must be option indexes")]})
        choices = data.get("choices", data.get("choices[]"))
        if isinstance(choices, (int, str)):
            choices = [choices]  # one choice, sent bare
        if isinstance(choices, list):
            if any(not isinstance(c, (int, str)) or isinstance(c, bool) for c in choices):
                raise ValidationError({"choices": [_("must be option indexes")]})
            data = {**data, "choices": [str(c) for c in choices]}
        return super().to_internal_value(data)


class PollVoteView(APIView):
    """``POST /api/v1/polls/:id/votes``: vote, answered with the updated poll."""

    permission_classes = [HasScope, HasUser]
    required_scopes = {"POST": "write:statuses"}

    @extend_schema(request=PollVoteSerializer, responses=PollSerializer)
    def post(self, request, poll_id: int):
        poll = poll_selectors.poll_get_for_viewer(viewer=request.user, poll_id=poll_id)
        form = PollVoteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        voted = services.poll_vote(
            poll=poll, voter=request.user, choices=form.validated_data["choices"]
        )
        return _poll_response(request, voted)
