"""Stripe's webhooks: verified before anything is stored, processed exactly once.

:func:`event_receive` checks the ``Stripe-Signature`` header with the Stripe
library's own verification (Stripe's scheme: an HMAC-SHA256 of ``"<t>.<body>"``,
refused beyond ``BILLING_WEBHOOK_TOLERANCE`` seconds), so a forged or replayed
delivery is refused with nothing stored. A valid event is stored once by its id
(a second delivery only counts itself) and the task ``billing.process_event`` is
sent after commit; the view answers at once.

:func:`event_process` locks the event's row, runs its handler and marks it processed
in one transaction: two workers given the same event (Stripe delivering it twice at
the same moment, a replay) run the handler once, and a worker killed halfway leaves
nothing half-done. A handler that raises leaves the event ``failed`` with the error
and a next attempt time (doubling, as domain events do); ``billing.retry_events``
sends the due ones again, finance sees and replays them in the admin, and no event
waits for another.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import traceback
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.models import WebhookEvent
from apps.billing.services import stripe_events
from apps.billing.services.mirror import MIRROR_TASK
from core import audit, errors, queue
from core.events import retry_delay

logger = logging.getLogger(__name__)

PROCESS_TASK = "billing.process_event"
ERROR_LIMIT = 4000


class SignatureInvalid(errors.PlatformError):
    """The delivery's signature is missing, wrong or too old (400); nothing was stored."""

    status = 400
    default_message = "The Stripe signature is missing or invalid"
    default_code = "signature_invalid"


def _parse(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except ValueError:
        raise SignatureInvalid(_("The body is not JSON."), code="malformed") from None
    valid = (
        isinstance(data, dict)
        and isinstance(data.get("id"), str)
        and data["id"].startswith("evt_")
        and isinstance(data.get("type"), str)
        and isinstance(data.get("created"), int)
        and isinstance((data.get("data") or {}).get("object"), dict)
    )
    if not valid:
        raise SignatureInvalid(_("The body is not a Stripe event."), code="malformed")
    return data


def event_receive(*, payload: bytes, signature: str | None) -> tuple[WebhookEvent, bool]:
    """Verify and store one delivery; answer ``(event, first_delivery)``.

    Raises :class:`SignatureInvalid` (nothing stored) and Unavailable when no webhook
    secret is configured.
    """
    secret = settings.DJSTRIPE_WEBHOOK_SECRET
    if not secret:
        raise errors.Unavailable(
            _("Billing is not configured on this server: no webhook secret."),
            code="billing_not_configured",
        )
    if not signature:
        raise SignatureInvalid(_("The Stripe-Signature header is missing."))
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, secret, settings.BILLING_WEBHOOK_TOLERANCE
        )
    except stripe.SignatureVerificationError as error:
        raise SignatureInvalid(str(error.user_message or error)) from None
    data = _parse(payload)
    fields = {
        "type": data["type"][:100],
        "stripe_created": data["created"],
        "connect_account": data.get("account") or "",
        "payload": data,
    }
    try:
        with transaction.atomic():
            event, created = WebhookEvent.objects.get_or_create(
                stripe_id=data["id"], defaults=fields
            )
    except IntegrityError:  # the same event, delivered at the same moment, won the insert
        event, created = WebhookEvent.objects.get(stripe_id=data["id"]), False
    if not created:
        WebhookEvent.objects.filter(pk=event.pk).update(deliveries=F("deliveries") + 1)
    if event.state != WebhookEvent.State.PROCESSED:
        # A redelivery of an event not yet processed sends it again: the broker may
        # have lost the first send, and processing twice does the work once.
        queue.send_on_commit(PROCESS_TASK, event_id=event.pk)
    return event, created


def event_process(*, event_id: int) -> bool:
    """Process one stored event unless it already was; ``True`` when this call did it."""
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().filter(pk=event_id).first()
            if event is None or event.state == WebhookEvent.State.PROCESSED:
                return False
            stripe_events.handle(event)
            event.state = WebhookEvent.State.PROCESSED
            event.attempts += 1
            event.processed_at = timezone.now()
            event.last_error = ""
            event.next_attempt_at = None
            event.save(
                update_fields=["state", "attempts", "processed_at", "last_error", "next_attempt_at"]
            )
            if settings.BILLING_MIRROR_DJSTRIPE:
                queue.send_on_commit(MIRROR_TASK, event_id=event.pk)
    except Exception as error:
        logger.exception("stripe event %s failed", event_id, extra={"event_id": event_id})
        _record_failure(event_id, error)
        return False
    logger.info("stripe event %s processed: %s", event.stripe_id, event.type)
    return True


def _record_failure(event_id: int, error: Exception) -> None:
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update()
            .filter(pk=event_id)
            .exclude(state=WebhookEvent.State.PROCESSED)
            .first()
        )
        if event is None:
            return
        event.attempts += 1
        event.state = WebhookEvent.State.FAILED
        event.last_error = text[:ERROR_LIMIT]
        event.next_attempt_at = timezone.now() + retry_delay(event.attempts)
        event.save(update_fields=["attempts", "state", "last_error", "next_attempt_at"])


def events_retry_due(*, limit: int = 200) -> int:
    """Send again the failed events whose next attempt is due, and pending ones a lost
    send left behind (received over a minute ago); answers how many."""
    now = timezone.now()
    due = WebhookEvent.objects.filter(
        Q(state=WebhookEvent.State.FAILED, next_attempt_at__lte=now)
        | Q(state=WebhookEvent.State.PENDING, received_at__lte=now - dt.timedelta(minutes=1))
    ).order_by("stripe_created", "pk")
    ids = list(due.values_list("pk", flat=True)[:limit])
    for event_id in ids:
        queue.send_on_commit(PROCESS_TASK, event_id=event_id)
    return len(ids)


def event_replay(*, event_ids: list[int], actor) -> int:
    """Finance's "process again" on failed events: due now. Processed ones are left alone."""
    with transaction.atomic():
        ids = list(
            WebhookEvent.objects.filter(pk__in=event_ids)
            .exclude(state=WebhookEvent.State.PROCESSED)
            .values_list("pk", flat=True)
        )
        WebhookEvent.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())
        audit.stripe_events_replayed(actor=actor, event_ids=ids)
        for event_id in ids:
            queue.send_on_commit(PROCESS_TASK, event_id=event_id)
    logger.info("stripe events replayed by %s: %s", getattr(actor, "username", actor), ids)
    return len(ids)
