"""nginx-rtmp's callbacks, ``POST /internal/live/<callback>?secret=``.

``on_publish``, ``on_publish_done`` and ``on_update`` follow the stream's state;
``on_record_done`` (with the recording's ``path``) makes the recording the replay.

Plain Django, outside DRF and the client API schema: nginx is not a client. It posts
a form (``call``, ``app``, ``name``, ``addr``...), refuses the publish or drops the
encoder on any 4xx, and on ``on_publish`` renames the stream to a 3xx's ``Location``.
The shared secret is checked before anything is looked at.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.live import services
from apps.live.metrics import ingest_callbacks_total
from core import errors


def _callback(name: str, handle: Callable[[HttpRequest, str], HttpResponse]):
    @csrf_exempt
    @require_POST
    def view(request: HttpRequest) -> HttpResponse:
        try:
            services.callback_authorize(request.GET.get("secret"))
            response = handle(request, request.POST.get("name", ""))
        except errors.PlatformError as error:
            response = HttpResponse(error.message, status=error.status, content_type="text/plain")
        ingest_callbacks_total.labels(callback=name, status=str(response.status_code)).inc()
        return response

    return view


def _publish(request: HttpRequest, name: str) -> HttpResponse:
    stream = services.ingest_publish(key=name)
    response = HttpResponse(status=302)
    response["Location"] = stream.internal_name
    return response


def _publish_done(request: HttpRequest, name: str) -> HttpResponse:
    services.ingest_publish_done(internal_name=name)
    return HttpResponse(status=204)


def _update(request: HttpRequest, name: str) -> HttpResponse:
    services.ingest_update(internal_name=name)
    return HttpResponse(status=204)


def _record_done(request: HttpRequest, name: str) -> HttpResponse:
    services.recording_done(internal_name=name, reported=request.POST.get("path", ""))
    return HttpResponse(status=204)


on_publish = _callback("on_publish", _publish)
on_publish_done = _callback("on_publish_done", _publish_done)
on_update = _callback("on_update", _update)
on_record_done = _callback("on_record_done", _record_done)
