"""The watch page, ``GET /live/<id>``, and the fresh playback URL it asks for.

Plain Django views (a browser with its session, not an API client): who may watch is
what :func:`apps.live.selectors.stream_get_for_viewer` says, as for the API. A stream
the viewer may not see is a 404 page that names nothing of it (no title, no playback
URL); an anonymous viewer is offered to sign in, since the stream may be for followers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.live import selectors, services
from apps.live.models import Stream
from core import errors

# How often a playing page tells the API it is watching (apps.live.api.viewers).
HEARTBEAT_SECONDS = 15


def _instance() -> dict[str, Any]:
    return {"title": settings.AGORA_TITLE, "contact_email": settings.AGORA_CONTACT_EMAIL}


def _stream_or_none(request: HttpRequest, stream_id: int) -> Stream | None:
    try:
        return selectors.stream_get_for_viewer(viewer=request.user, stream_id=stream_id)
    except errors.NotFound:
        return None


@require_GET
@never_cache
def watch(request: HttpRequest, stream_id: int) -> HttpResponse:
    """The stream's title, account and state, its video (hls.js, or Safari's own HLS),
    the ``#live-chat`` the script fills from the chat socket, and what its heartbeats need
    (the API path, their interval, and the CSRF token a signed-in session's POST needs)."""
    stream = _stream_or_none(request, stream_id)
    if stream is None:
        sign_in = None
        if not request.user.is_authenticated:
            sign_in = f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}"
        return render(
            request, "live/unavailable.html", {**_instance(), "sign_in_url": sign_in}, status=404
        )
    context = {
        **_instance(),
        "stream": stream,
        "account": stream.account,
        "hls_url": services.playback_hls_url(stream=stream),
        "renew_seconds": max(30, settings.LIVE_PLAYBACK_TTL_SECONDS // 2),
        "is_signed": stream.visibility not in services.PUBLIC_VISIBILITIES,
        # The page's chat socket is anonymous (a session is no token): it reads only the
        # chats anybody may read.
        "is_chat_readable": stream.visibility in services.PUBLIC_VISIBILITIES,
        "heartbeat_seconds": HEARTBEAT_SECONDS,
    }
    return render(request, "live/watch.html", context)


@require_GET
@never_cache
def playback(request: HttpRequest, stream_id: int) -> JsonResponse:
    """``GET /live/<id>/playback``: ``{"hls_url": ...}`` afresh, for the page to renew a
    signed URL before it expires; 404 ``{"error": ...}`` for a stream it may not see."""
    stream = _stream_or_none(request, stream_id)
    if stream is None:
        return JsonResponse({"error": _("Record not found")}, status=404)
    return JsonResponse({"hls_url": services.playback_hls_url(stream=stream)})
