"""Views of the platform API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import BackgroundJobSerializer
from core.jobs import job_get_for_owner
from core.permissions import HasScope


class JobDetailView(APIView):
    """``GET /api/agora/v1/jobs/<id>``: a background job, for its owner only."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": "read"}

    @extend_schema(operation_id="agora_job_retrieve", responses=BackgroundJobSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job = job_get_for_owner(owner=request.user, job_id=job_id)
        return Response(BackgroundJobSerializer(job).data)
