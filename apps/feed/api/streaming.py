"""The HTTP side of Mastodon's streaming API: its health check."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def streaming_health(request) -> HttpResponse:
    """``GET /api/v1/streaming/health``: ``OK`` in plain text, as Mastodon's streaming server answers."""
    return HttpResponse("OK", content_type="text/plain; charset=utf-8")
