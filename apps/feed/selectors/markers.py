"""Reads of reading positions (Mastodon's markers)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from apps.feed.models import Marker


def markers_for(*, viewer, timelines: Iterable[str]) -> QuerySet:
    """The viewer's markers of ``timelines`` (names that are not timelines are ignored)."""
    return Marker.objects.filter(account=viewer, timeline__in=list(timelines))
