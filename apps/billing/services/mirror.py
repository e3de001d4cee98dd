"""dj-stripe's copy of Stripe's objects, for finance's dj-stripe pages.

After Agora has processed an event, the task ``billing.mirror_event`` hands it to
dj-stripe (``djstripe.models.Event.process``), which stores the event and syncs its
object and the objects it refers to from Stripe's API. It runs apart from processing,
so Agora's own state never waits for those API calls nor fails with them; a mirror
that fails is kept with its error and tried again by the retry sweep, up to
:data:`MAX_ATTEMPTS` times, then left for finance to see.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.billing import stripe_api
from apps.billing.models import WebhookEvent
from core import queue

logger = logging.getLogger(__name__)

MIRROR_TASK = "billing.mirror_event"
MAX_ATTEMPTS = 5


def event_mirror(*, event_id: int) -> bool:
    """Copy one processed event into dj-stripe; ``True`` when this call did it."""
    from djstripe.models import Event

    if not settings.BILLING_MIRROR_DJSTRIPE:
        return False
    event = WebhookEvent.objects.filter(pk=event_id, state=WebhookEvent.State.PROCESSED).first()
    if event is None or event.mirrored_at is not None:
        return False
    try:
        with transaction.atomic():
            Event.process(event.payload, api_key=stripe_api.secret_key())
    except Exception as error:
        text = "".join(traceback.format_exception_only(type(error), error)).strip()
        WebhookEvent.objects.filter(pk=event_id).update(
            mirror_attempts=F("mirror_attempts") + 1, mirror_error=text[:4000]
        )
        logger.warning("dj-stripe could not mirror stripe event %s: %s", event.stripe_id, text)
        return False
    WebhookEvent.objects.filter(pk=event_id).update(
        mirrored_at=timezone.now(), mirror_attempts=F("mirror_attempts") + 1, mirror_error=""
    )
    return True


def mirrors_due(*, limit: int = 200) -> int:
    """Send again the mirrors of processed events that failed (under the attempt limit)."""
    due = WebhookEvent.objects.filter(
        state=WebhookEvent.State.PROCESSED,
        mirrored_at__isnull=True,
        mirror_attempts__lt=MAX_ATTEMPTS,
        processed_at__lte=timezone.now() - dt.timedelta(minutes=1),
    ).order_by("stripe_created", "pk")
    if not settings.BILLING_MIRROR_DJSTRIPE:
        return 0
    ids = list(due.values_list("pk", flat=True)[:limit])
    for event_id in ids:
        queue.send_on_commit(MIRROR_TASK, event_id=event_id)
    return len(ids)
