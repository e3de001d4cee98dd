"""The media endpoints: Mastodon's media API and Agora's resumable uploads. Thin."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework import status as http
from rest_framework.parsers import BaseParser, FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.media import services, uploads
from apps.media.api.serializers import (
    MediaAttachmentSerializer,
    MediaCreateSerializer,
    MediaUpdateSerializer,
    UploadCreateSerializer,
    UploadSerializer,
)
from apps.media.models import ProcessingState
from core.api.schema import error_response
from core.permissions import HasScope, HasUser


class ChunkParser(BaseParser):
    """A chunk's body, left as the request stream: read as it arrives, never held whole."""

    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream


class MediaView(APIView):
    permission_classes = [HasScope, HasUser]


def _media_response(request, media, status_code: int) -> Response:
    return Response(
        MediaAttachmentSerializer(media, context={"request": request}).data, status=status_code
    )


def _created_status(media) -> int:
    """200 for media ready at once, 202 for media processed in the background."""
    return http.HTTP_200_OK if media.is_ready else http.HTTP_202_ACCEPTED


class MediaCreateView(MediaView):
    """``POST /api/v2/media`` (and v1, which Mastodon keeps for old clients)."""

    required_scopes = {"POST": "write:media"}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="media_create",
        request={"multipart/form-data": MediaCreateSerializer},
        responses={200: MediaAttachmentSerializer, 202: MediaAttachmentSerializer},
    )
    def post(self, request):
        form = MediaCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        media = services.media_create(
            account=request.user,
            file=data["file"],
            description=data["description"],
            focus=data.get("focus"),
            thumbnail=data.get("thumbnail"),
        )
        return _media_response(request, media, _created_status(media))


class MediaCreateV1View(MediaCreateView):
    """``POST /api/v1/media``: Mastodon's deprecated form, kept for old clients (same answers)."""

    @extend_schema(
        operation_id="media_create_v1",
        deprecated=True,
        request={"multipart/form-data": MediaCreateSerializer},
        responses={200: MediaAttachmentSerializer, 202: MediaAttachmentSerializer},
    )
    def post(self, request):
        return super().post(request)


class MediaDetailView(MediaView):
    """``GET`` and ``PUT /api/v1/media/:id``: one's own attachment."""

    required_scopes = {"GET": "write:media", "PUT": "write:media"}
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="media_retrieve",
        responses={
            200: MediaAttachmentSerializer,
            206: MediaAttachmentSerializer,
            422: OpenApiResponse(description="Processing failed; the error says why."),
        },
    )
    def get(self, request, media_id: int):
        media = services.media_get_own(account=request.user, media_id=media_id)
        if media.state == ProcessingState.FAILED:
            return Response(
                {"error": media.failure_reason or "Processing failed."},
                status=http.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        status_code = http.HTTP_200_OK if media.is_ready else http.HTTP_206_PARTIAL_CONTENT
        return _media_response(request, media, status_code)

    @extend_schema(
        operation_id="media_update",
        request={
            "application/json": MediaUpdateSerializer,
            "multipart/form-data": MediaUpdateSerializer,
        },
        responses=MediaAttachmentSerializer,
    )
    def put(self, request, media_id: int):
        form = MediaUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        media = services.media_update(
            account=request.user,
            media_id=media_id,
            description=data.get("description"),
            focus=data.get("focus"),
            thumbnail=data.get("thumbnail"),
        )
        return _media_response(request, media, http.HTTP_200_OK)


def _upload_response(upload, status_code: int = http.HTTP_200_OK, *, parts=None) -> Response:
    context = {"parts": parts} if parts is not None else {}
    response = Response(UploadSerializer(upload, context=context).data, status=status_code)
    response["Upload-Offset"] = str(upload.offset)
    if upload.offset:
        response["Range"] = f"bytes=0-{upload.offset - 1}"
    return response


class UploadCreateView(MediaView):
    """``POST /api/agora/v1/uploads``: start a resumable upload."""

    required_scopes = {"POST": "write:media"}
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="agora_uploads_create",
        request=UploadCreateSerializer,
        responses={201: UploadSerializer},
    )
    def post(self, request):
        form = UploadCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        upload = uploads.upload_create(
            account=request.user,
            size=data["size"],
            checksum=data["checksum"],
            content_type=data["type"],
            description=data["description"],
        )
        return _upload_response(
            upload, http.HTTP_201_CREATED, parts=uploads.presigned_parts(upload)
        )


class UploadDetailView(MediaView):
    """One upload: its offset (GET, HEAD), a chunk (PUT with Content-Range), abort (DELETE)."""

    required_scopes = {
        "GET": "write:media",
        "HEAD": "write:media",
        "PUT": "write:media",
        "DELETE": "write:media",
    }
    parser_classes = [ChunkParser]

    @extend_schema(
        operation_id="agora_uploads_retrieve",
        responses={
            200: UploadSerializer,
            410: error_response("The upload expired or was aborted."),
        },
    )
    def get(self, request, upload_id: int):
        upload = uploads.upload_offset(account=request.user, upload_id=upload_id)
        return _upload_response(upload, parts=uploads.presigned_parts(upload))

    @extend_schema(operation_id="agora_uploads_offset", responses={200: None})
    def head(self, request, upload_id: int):
        upload = uploads.upload_offset(account=request.user, upload_id=upload_id)
        response = _upload_response(upload)
        response.data = None
        return response

    @extend_schema(
        operation_id="agora_uploads_chunk",
        request={"application/octet-stream": {"type": "string", "format": "binary"}},
        responses={
            200: UploadSerializer,
            409: inline_serializer(
                "UploadOffsetMismatch",
                {"error": serializers.CharField(), "offset": serializers.IntegerField()},
            ),
            410: error_response("The upload expired or was aborted."),
            416: error_response("Content-Range is missing or does not fit the upload."),
        },
    )
    def put(self, request, upload_id: int):
        length = request.META.get("CONTENT_LENGTH")
        try:
            upload = uploads.upload_chunk(
                account=request.user,
                upload_id=upload_id,
                content_range=request.headers.get("Content-Range"),
                body=request.data if hasattr(request.data, "read") else _Empty(),
                length=int(length) if length and length.isdigit() else None,
            )
        except uploads.OffsetMismatch as exc:
            current = uploads.upload_offset(account=request.user, upload_id=upload_id)
            response = Response({"error": exc.message, "offset": current.offset}, status=exc.status)
            response["Upload-Offset"] = str(current.offset)
            return response
        return _upload_response(upload)

    @extend_schema(operation_id="agora_uploads_abort", responses={204: None})
    def delete(self, request, upload_id: int):
        uploads.upload_abort(account=request.user, upload_id=upload_id)
        return Response(status=http.HTTP_204_NO_CONTENT)


class _Empty:
    """The body of a request that sent none."""

    def read(self, size: int = -1) -> bytes:
        return b""


class UploadFinishView(MediaView):
    """``POST /api/agora/v1/uploads/:id/finish``: turn the bytes into a media attachment."""

    required_scopes = {"POST": "write:media"}

    @extend_schema(
        operation_id="agora_uploads_finish",
        request=None,
        responses={200: MediaAttachmentSerializer, 202: MediaAttachmentSerializer},
    )
    def post(self, request, upload_id: int):
        media = uploads.upload_finish(account=request.user, upload_id=upload_id)
        return _media_response(request, media, _created_status(media))
