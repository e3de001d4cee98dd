"""A test-only URLconf: the real URLs plus API views that fail on purpose or throttle."""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as real_urlpatterns
from core import errors
from core.api.pagination import paged_response
from core.models import BackgroundJob
from core.pagination import page_params, paginate_queryset


class EchoSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    age = serializers.IntegerField(min_value=0)


class EchoView(APIView):
    """Validates a body and echoes it."""

    permission_classes = [AllowAny]

    def post(self, request):
        serializer = EchoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class BrokenView(APIView):
    """Fails with an unexpected exception."""

    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internal detail")


class LimitedView(APIView):
    """A view with its own throttle scope."""

    permission_classes = [AllowAny]
    throttle_scope = "burst"

    def get(self, request):
        return Response({"ok": True})


class PagedView(APIView):
    """A paged list of background jobs, newest first, with a Link header."""

    permission_classes = [AllowAny]

    def get(self, request):
        params = page_params(request)
        page = paginate_queryset(BackgroundJob.objects.all(), params)
        return paged_response(request, [str(job.pk) for job in page], rows=page, params=params)


class RaisingView(APIView):
    """Raises the platform error named in the path, as a service would."""

    permission_classes = [AllowAny]

    def get(self, request, name):
        error = getattr(errors, name)
        if error is errors.Invalid:
            raise error({"visibility": [errors.Invalid.default_message]}, code="blank")
        raise error("what went wrong")


class IdView(APIView):
    """Echoes an id captured by the ``<id:...>`` converter, with its type."""

    permission_classes = [AllowAny]

    def get(self, request, thing_id):
        return Response({"id": thing_id, "type": type(thing_id).__name__})


class LiteralView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"literal": True})


test_patterns = [
    path("paged", PagedView.as_view()),
    path("echo", EchoView.as_view()),
    path("broken", BrokenView.as_view()),
    path("limited", LimitedView.as_view()),
    path("raise/<str:name>", RaisingView.as_view()),
    # The id route first: the converter, not the order, keeps the literal path reachable.
    path("things/<id:thing_id>", IdView.as_view()),
    path("things/search", LiteralView.as_view()),
]

urlpatterns = [path("api/test/", include(test_patterns)), *real_urlpatterns]

handler404 = "core.exceptions.page_not_found"
handler500 = "core.exceptions.server_error"
