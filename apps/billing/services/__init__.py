"""Billing's writes, by area (Zulip's ``actions/``): re-exported here."""

from apps.billing.services.checkout import checkout_create, customer_for, portal_create
from apps.billing.services.creators import (
    connect_apply,
    connect_onboarding_start,
    tier_create,
    tier_retire,
    tier_update,
)
from apps.billing.services.dunning import lapses_notify
from apps.billing.services.entitlements import entitlements_invalidate, entitlements_of
from apps.billing.services.holds import hold_place, hold_release
from apps.billing.services.ledger import watch_time_accrue, watch_time_record
from apps.billing.services.payouts import BatchReport, payout_batch_run
from apps.billing.services.webhooks import (
    SignatureInvalid,
    event_process,
    event_receive,
    event_replay,
    events_retry_due,
)

__all__ = [
    "BatchReport",
    "SignatureInvalid",
    "checkout_create",
    "connect_apply",
    "connect_onboarding_start",
    "customer_for",
    "entitlements_invalidate",
    "entitlements_of",
    "event_process",
    "event_receive",
    "event_replay",
    "events_retry_due",
    "hold_place",
    "hold_release",
    "lapses_notify",
    "payout_batch_run",
    "portal_create",
    "tier_create",
    "tier_retire",
    "tier_update",
    "watch_time_accrue",
    "watch_time_record",
]
