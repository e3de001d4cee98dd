"""Writes of reading positions (Mastodon's markers)."""

from __future__ import annotations

from django.db import transaction

from apps.feed.models import Marker


@transaction.atomic
def markers_save(*, account, positions: dict[str, int]) -> list[Marker]:
    """Records where ``account`` stopped reading each timeline of ``positions``
    (timeline -> last read id), counting each update in the marker's version."""
    saved = []
    for timeline, last_read_id in positions.items():
        marker, created = Marker.objects.select_for_update().get_or_create(
            account=account, timeline=timeline, defaults={"last_read_id": last_read_id}
        )
        if not created:
            marker.last_read_id = last_read_id
            marker.version += 1
            marker.save(update_fields=["last_read_id", "version", "updated_at"])
        saved.append(marker)
    return saved
