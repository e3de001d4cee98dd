"""Reads for watch time: the status a viewer may watch, and how long its media plays."""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _

from apps.feed.models import Status
from apps.media.models import MediaAttachment, MediaType, ProcessingState
from core import errors
from core.ids import parse_id

#: Attachment types a player plays, and so reports watch time for.
PLAYABLE_TYPES = (MediaType.VIDEO, MediaType.GIFV, MediaType.AUDIO)


def status_get_for_watching(*, viewer, status_id) -> Status:
    """The status ``status_id`` with the original it reblogs, if ``viewer`` may see it.

    One query, visibility by ``Status.objects.visible_to`` as every status endpoint
    applies it; raises NotFound as :func:`status_get_for_viewer` does (a status the
    viewer may not see is not revealed). Lighter than that selector: a heartbeat needs
    neither mentions, tags nor polls.
    """
    status_id = parse_id(status_id)
    if status_id is None:
        raise errors.NotFound(_("Record not found"))
    status = (
        Status.objects.visible_to(viewer).select_related("reblog_of").filter(pk=status_id).first()
    )
    if status is None:
        raise errors.NotFound(_("Record not found"))
    return status


def media_duration(meta: Any) -> float | None:
    """Seconds a processed attachment plays, from its ``meta`` (None when unknown).

    Media processing writes ``meta["duration"]`` (and ``meta["original"]["duration"]``)
    for video, gifv and audio (:mod:`apps.media.processing`).
    """
    if not isinstance(meta, dict):
        return None
    original = meta.get("original")
    candidates = [
        meta.get("duration"),
        original.get("duration") if isinstance(original, dict) else None,
    ]
    for value in candidates:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value) and value > 0:
                return float(value)
    return None


def status_playable_durations(*, status: Status) -> list[float | None]:
    """The durations (None when unknown) of the processed video, gifv and audio
    attachments of ``status``, in its order; empty when it has none to play. One query."""
    metas = (
        MediaAttachment.objects.for_statuses([status.pk])
        .filter(type__in=PLAYABLE_TYPES, state=ProcessingState.READY)
        .values_list("meta", flat=True)
    )
    return [media_duration(meta) for meta in metas]
