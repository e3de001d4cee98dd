"""Writes of scheduled statuses (Mastodon's ScheduledStatus): schedule, reschedule, cancel, publish.

``POST /api/v1/statuses`` with ``scheduled_at`` stores the request's parameters in
a :class:`~apps.feed.models.ScheduledStatus`; the periodic
``scheduled_statuses_publish_task`` (every minute, created by migration
``feed.0003``) publishes the due ones through :func:`~apps.feed.services.statuses.status_create`. As on
Mastodon, ``scheduled_at`` must be at least five minutes ahead; an account may hold
at most 300 scheduled statuses and at most 50 for any one day on the free plan
(its plan's ``max_scheduled_statuses`` and ``max_scheduled_statuses_per_day``).
Reads are in :mod:`apps.feed.selectors.scheduling`.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import get_application_model

from apps.accounts.models import able_to_act_q
from apps.feed import selectors
from apps.feed.models import ScheduledStatus, Status, Visibility
from apps.feed.services.polls import PollParams, poll_params_validate
from apps.feed.services.statuses import (
    members_only_validate,
    status_create,
    status_text_validate,
)
from core import errors, idempotency
from core.entitlements import entitlements_for

logger = logging.getLogger(__name__)

MINIMUM_LEAD = dt.timedelta(minutes=5)
PUBLISH_BATCH = 500


def _validate_time(*, account, scheduled_at: dt.datetime, exclude_id: int | None = None) -> None:
    """Refuse (Invalid, 422) a time less than 5 minutes ahead, or over the limits."""
    if scheduled_at < timezone.now() + MINIMUM_LEAD:
        raise errors.Invalid({"scheduled_at": [_("must be at least 5 minutes in the future")]})
    others = ScheduledStatus.objects.filter(account=account)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    limits = entitlements_for(account)
    if exclude_id is None and others.count() >= limits.max_scheduled_statuses:
        raise errors.Invalid({"scheduled_at": [_("total limit of scheduled statuses reached")]})
    day = scheduled_at.astimezone(dt.UTC).date()
    if others.filter(scheduled_at__date=day).count() >= limits.max_scheduled_statuses_per_day:
        raise errors.Invalid({"scheduled_at": [_("daily limit of scheduled statuses reached")]})


def scheduled_status_create(
    *,
    author,
    scheduled_at: dt.datetime,
    text: str,
    visibility: str = Visibility.PUBLIC,
    spoiler_text: str = "",
    sensitive: bool = False,
    language: str = "",
    in_reply_to_id: int | None = None,
    application_id: int | None = None,
    idempotency_key: str | None = None,
    poll: PollParams | None = None,
    members_only: bool = False,
) -> ScheduledStatus:
    """Schedule a status (with its ``poll``) for ``scheduled_at``, checked now as it would
    be on publishing; the poll runs for ``expires_in`` from publication. ``members_only``
    is kept in ``params`` as ``agora_members_only`` (Agora's extension).

    Raises Invalid (too soon, over a limit, bad text or visibility) and
    NotFound (a parent the author cannot see). With ``idempotency_key`` a repeated
    request within an hour returns the first scheduled status.
    """
    return idempotency.create_once(
        scope="scheduled_status",
        account_id=author.pk,
        key=idempotency_key,
        find=lambda pk: ScheduledStatus.objects.filter(pk=pk, account=author).first(),
        create=lambda: _scheduled_status_insert(
            author=author,
            scheduled_at=scheduled_at,
            text=text,
            visibility=visibility,
            spoiler_text=spoiler_text,
            sensitive=sensitive,
            language=language,
            in_reply_to_id=in_reply_to_id,
            application_id=application_id,
            idempotency_key=idempotency_key,
            poll=poll,
            members_only=members_only,
        ),
    )


def _scheduled_status_insert(
    *,
    author,
    scheduled_at: dt.datetime,
    text: str,
    visibility: str,
    spoiler_text: str,
    sensitive: bool,
    language: str,
    in_reply_to_id: int | None,
    application_id: int | None,
    idempotency_key: str | None,
    poll: PollParams | None = None,
    members_only: bool = False,
) -> ScheduledStatus:
    """Check and store a scheduled status, its parameters kept as Mastodon's ``params``."""
    if visibility not in Visibility.values:
        raise errors.Invalid({"visibility": [_("is not a valid visibility")]})
    members_only_validate(visibility=visibility, members_only=members_only)
    status_text_validate(author=author, text=text, spoiler_text=spoiler_text)
    if poll is not None:
        poll_params_validate(poll=poll)
    if in_reply_to_id is not None:
        parent = selectors.status_get_for_viewer(viewer=author, status_id=in_reply_to_id)
        if parent.is_reblog:
            raise errors.Invalid({"in_reply_to_id": [_("cannot reply to a reblog")]})
    params = {
        "text": text,
        "poll": poll.as_params() if poll is not None else None,
        "media_ids": None,
        "sensitive": sensitive or bool(spoiler_text),
        "spoiler_text": spoiler_text or None,
        "visibility": visibility,
        "scheduled_at": None,
        "in_reply_to_id": str(in_reply_to_id) if in_reply_to_id is not None else None,
        "language": language[:16] or None,
        "application_id": application_id,
        "idempotency": idempotency_key,
        "with_rate_limit": False,
        "agora_members_only": members_only,
    }
    with transaction.atomic():
        # One account's schedulers queue here, so the limits hold under concurrency.
        type(author)._default_manager.select_for_update().filter(pk=author.pk).first()
        _validate_time(account=author, scheduled_at=scheduled_at)
        scheduled = ScheduledStatus(account=author, scheduled_at=scheduled_at, params=params)
        scheduled.full_clean(exclude=["account"])
        scheduled.save()
    return scheduled


def scheduled_status_reschedule(
    *, scheduled_status: ScheduledStatus, owner, scheduled_at: dt.datetime
) -> ScheduledStatus:
    """Move the owner's scheduled status to ``scheduled_at``. Raises NotFound, Invalid."""
    if scheduled_status.account_id != owner.pk:
        raise errors.NotFound(_("Record not found"))
    with transaction.atomic():
        type(owner)._default_manager.select_for_update().filter(pk=owner.pk).first()
        _validate_time(account=owner, scheduled_at=scheduled_at, exclude_id=scheduled_status.pk)
        updated = ScheduledStatus.objects.filter(pk=scheduled_status.pk).update(
            scheduled_at=scheduled_at, updated_at=timezone.now()
        )
        if not updated:
            raise errors.NotFound(_("Record not found"))
    scheduled_status.refresh_from_db()
    return scheduled_status


def scheduled_status_cancel(*, scheduled_status: ScheduledStatus, owner) -> None:
    """Delete the owner's scheduled status before it is published. Raises NotFound."""
    deleted, _by_model = ScheduledStatus.objects.filter(
        pk=scheduled_status.pk, account=owner
    ).delete()
    if not deleted:
        raise errors.NotFound(_("Record not found"))


def _application_name(application_id: int | None) -> str:
    if application_id is None:
        return ""
    name = (
        get_application_model()
        .objects.filter(pk=application_id)
        .values_list("name", flat=True)
        .first()
    )
    return name or ""


def _publish(scheduled: ScheduledStatus) -> Status:
    params = scheduled.params
    in_reply_to_id = params.get("in_reply_to_id")
    return status_create(
        author=scheduled.account,
        text=params.get("text") or "",
        visibility=params.get("visibility") or Visibility.PUBLIC,
        spoiler_text=params.get("spoiler_text") or "",
        sensitive=bool(params.get("sensitive")),
        language=params.get("language") or "",
        in_reply_to_id=int(in_reply_to_id) if in_reply_to_id else None,
        application_name=_application_name(params.get("application_id")),
        poll=PollParams.from_params(params["poll"]) if params.get("poll") else None,
        members_only=bool(params.get("agora_members_only")),
    )


def scheduled_statuses_publish_due(
    *, now: dt.datetime | None = None, batch: int = PUBLISH_BATCH
) -> list[int]:
    """Publish up to ``batch`` scheduled statuses due by ``now``; the new statuses' ids.

    Each row is locked (``SELECT ... FOR UPDATE SKIP LOCKED``), published and deleted
    in one transaction, so concurrent or repeated runs publish a row exactly once.
    A row the services now refuse (its parent gone, text over a lowered limit) is
    dropped with a log line. Rows of disabled, suspended or restricted-to-nothing
    accounts wait until the account is back.
    """
    now = now or timezone.now()
    due = (
        ScheduledStatus.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(scheduled_at__lte=now, held=False)
        .filter(able_to_act_q("account__"))
        .select_related("account")
        .order_by("scheduled_at", "id")
    )
    published: list[int] = []
    for _attempt in range(batch):
        with transaction.atomic():
            scheduled = due.first()
            if scheduled is None:
                break
            try:
                status = _publish(scheduled)
            except errors.PlatformError as refusal:
                logger.warning(
                    "scheduled status dropped: %s",
                    refusal.message,
                    extra={"scheduled_status_id": scheduled.pk, "account_id": scheduled.account_id},
                )
            else:
                published.append(status.pk)
            scheduled.delete()
    return published


def scheduled_statuses_hold(*, account_id: int, held: bool) -> int:
    """Hold (or release) every scheduled status of the account; how many changed.

    Protection holds them while the account's shield is up, so nothing it scheduled
    goes out into a pile-on; released rows whose time has passed are published by the
    next :func:`scheduled_statuses_publish_due`. Idempotent (events arrive at least once).
    """
    return ScheduledStatus.objects.filter(account_id=account_id, held=not held).update(held=held)
