"""``GET /internal/live/playable?secret=&name=``: nginx's auth_request for unsigned HLS.

nginx asks, for a plain ``/live/hls/<internal name>/...`` request, whether anybody may
play that stream; 204 yes (public or unlisted), 403 no (followers, subscribers, a
barred owner, or no such stream: nginx passes 403 on to the viewer and treats other
statuses as its own error). Guarded by the callback secret, like the ingest callbacks.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from apps.live import services
from core import errors


@require_GET
def playable(request: HttpRequest) -> HttpResponse:
    try:
        services.callback_authorize(request.GET.get("secret"))
    except errors.PlatformError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain")
    if services.stream_publicly_playable(internal_name=request.GET.get("name", "")):
        return HttpResponse(status=204)
    return HttpResponse(status=403)
