"""Reads of the media app."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from apps.media.models import MediaAttachment


def media_for_statuses(status_ids: Iterable[int]) -> dict[int, list[MediaAttachment]]:
    """Attachments of each status, in the order the status lists them (one query)."""
    ids = {status_id for status_id in status_ids if status_id is not None}
    found: dict[int, list[MediaAttachment]] = defaultdict(list)
    if not ids:
        return found
    for media in MediaAttachment.objects.for_statuses(ids):
        found[media.status_id].append(media)
    return found


def statuses_with_media() -> QuerySet:
    """Ids of statuses with at least one attachment (a subquery for ``only_media``)."""
    return MediaAttachment.objects.filter(status_id__isnull=False).values("status_id")


def media_library() -> QuerySet:
    """The back office's list: every attachment with its owner and job."""
    return MediaAttachment.objects.select_related("account", "job")
