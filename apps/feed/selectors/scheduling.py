"""Reads of scheduled statuses; writes are in :mod:`apps.feed.services.scheduling`."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.feed.models import ScheduledStatus
from core import errors
from core.ids import parse_id
from core.pagination import PageParams, paginate_queryset


def scheduled_statuses_page(*, owner, params: PageParams) -> list[ScheduledStatus]:
    """The owner's scheduled statuses, newest id first, paged Mastodon's way."""
    return paginate_queryset(ScheduledStatus.objects.filter(account=owner), params)


def scheduled_status_get_for_owner(*, owner, scheduled_status_id) -> ScheduledStatus:
    """The owner's scheduled status; NotFound for anyone else's or an unknown id."""
    scheduled_status_id = parse_id(
        scheduled_status_id
    )  # ids from a path are ints already; a body's may be text
    if scheduled_status_id is None:
        raise errors.NotFound(_("Record not found"))
    scheduled = ScheduledStatus.objects.filter(pk=scheduled_status_id, account=owner).first()
    if scheduled is None:
        raise errors.NotFound(_("Record not found"))
    return scheduled
