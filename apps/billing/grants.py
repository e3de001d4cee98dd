"""The back-office roles' grants on billing's models (see :mod:`core.roles`).

Finance reads the Stripe objects dj-stripe keeps and billing's own: plans (and
edits them), subscriptions, webhook events (and replays failed ones), the ledger
(and exports it), payout batches and payouts, and holds (places manual ones and
releases any, with a reason). Notices stay out: they are the account's messages,
not finance's business.
"""

from core.roles import FINANCE

# Stripe objects finance reads in the dj-stripe admin. Left out on purpose: API keys
# and webhook endpoints (secrets), idempotency keys, files, Issuing and Identity.
DJSTRIPE_MODELS = (
    "customer",
    "subscription",
    "subscriptionitem",
    "subscriptionschedule",
    "invoice",
    "invoiceitem",
    "lineitem",
    "charge",
    "refund",
    "dispute",
    "paymentintent",
    "setupintent",
    "paymentmethod",
    "product",
    "price",
    "coupon",
    "promotioncode",
    "discount",
    "taxrate",
    "balancetransaction",
    "payout",
    "transfer",
    "applicationfee",
    "event",
)

ROLE_GRANTS: dict[str, frozenset[str]] = {
    FINANCE: frozenset(
        {f"djstripe.view_{model}" for model in DJSTRIPE_MODELS}
        | {
            "billing.view_plan",
            "billing.add_plan",
            "billing.change_plan",
            "billing.view_customer",
            "billing.view_subscription",
            "billing.view_webhookevent",
            "billing.replay_webhookevent",
            "billing.view_ledgerentry",
            "billing.export_ledgerentry",
            "billing.view_payoutbatch",
            "billing.view_payout",
            "billing.view_payouthold",
            "billing.add_payouthold",
            "billing.release_payouthold",
        }
    ),
}
