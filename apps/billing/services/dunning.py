"""The end of a grace period: the plan lapses to the free plan, and the account is told.

Entitlements lapse on time by themselves (their cache never outlives the grace
period); this periodic sweep (``billing.dunning``) tells the account and publishes
SubscriptionChanged, once per lapse.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.models import DUNNING, Notice, Subscription
from apps.billing.services.entitlements import entitlements_invalidate
from core import events

logger = logging.getLogger(__name__)


def lapses_notify(*, limit: int = 500) -> int:
    """Tell each account whose grace period ended that it is on the free plan."""
    now = timezone.now()
    done = 0
    with transaction.atomic():
        due = (
            Subscription.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=list(DUNNING), grace_until__lte=now, lapse_notified=False)
            .select_related("plan")
            .order_by("grace_until")[:limit]
        )
        for row in due:
            plan = row.plan.name if row.plan else row.stripe_price_id
            Notice.objects.get_or_create(
                account_id=row.account_id,
                kind=Notice.Kind.PLAN_LAPSED,
                reference=f"{row.stripe_id}:lapsed:{row.grace_until.isoformat()}",  # type: ignore[union-attr]
                defaults={
                    "subscription": row,
                    "text": _(
                        "Your %(plan)s plan lapsed after its payment failed: you are on the "
                        "free plan. Pay the open invoice in the customer portal to get it back."
                    )
                    % {"plan": plan},
                },
            )
            row.lapse_notified = True
            row.save(update_fields=["lapse_notified", "updated_at"])
            entitlements_invalidate(row.account_id)
            events.publish(
                events.SubscriptionChanged(
                    account_id=row.account_id,
                    subscription=row.stripe_id,
                    kind="platform",
                    tier="free",
                    status=row.status,
                )
            )
            done += 1
    if done:
        logger.info("billing: %d plans lapsed to the free plan", done)
    return done
