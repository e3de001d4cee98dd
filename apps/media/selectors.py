"""Reads of the media app."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from apps.media.models import MediaAttachment
from core.rows import RowShape, rows_by_keys

# Attachments by their status's id, from SQL compiled once and prepared (core.rows), as a
# page's mentions and tags are (apps.feed.selectors.statuses.prefetch_mentions_and_tags):
# the ORM built and compiled this query for every page with a status not cached.
STATUS_MEDIA_ROWS = RowShape(
    "media.status_attachments", lambda: MediaAttachment.objects.all(), key="status_id"
)


def media_for_statuses(status_ids: Iterable[int]) -> dict[int, list[MediaAttachment]]:
    """Attachments of each status, in the order the status lists them (one query)."""
    ids = sorted({status_id for status_id in status_ids if status_id is not None})
    found: dict[int, list[MediaAttachment]] = defaultdict(list)
    if not ids:
        return found
    # The order of MediaAttachmentQuerySet.for_statuses.
    for media in sorted(rows_by_keys(STATUS_MEDIA_ROWS, ids), key=lambda m: (m.position, m.pk)):
        found[media.status_id].append(media)
    return found


def statuses_with_media() -> QuerySet:
    """Ids of statuses with at least one attachment (a subquery for ``only_media``)."""
    return MediaAttachment.objects.filter(status_id__isnull=False).values("status_id")


def media_library() -> QuerySet:
    """The back office's list: every attachment with its owner and job."""
    return MediaAttachment.objects.select_related("account", "job")
