"""Stripe through dj-stripe. Unset keys: billing reports itself unconfigured."""

from .environment import env

# STRIPE_LIVE_MODE: use the live keys instead of the test keys.
STRIPE_LIVE_MODE = env.bool("STRIPE_LIVE_MODE", default=False)
# STRIPE_TEST_SECRET_KEY / STRIPE_LIVE_SECRET_KEY: the API secret keys.
STRIPE_TEST_SECRET_KEY = env.str("STRIPE_TEST_SECRET_KEY", default="")
STRIPE_LIVE_SECRET_KEY = env.str("STRIPE_LIVE_SECRET_KEY", default="")
# STRIPE_TEST_PUBLIC_KEY / STRIPE_LIVE_PUBLIC_KEY: the publishable keys.
STRIPE_TEST_PUBLIC_KEY = env.str("STRIPE_TEST_PUBLIC_KEY", default="")
STRIPE_LIVE_PUBLIC_KEY = env.str("STRIPE_LIVE_PUBLIC_KEY", default="")
# DJSTRIPE_WEBHOOK_SECRET: signs Stripe's webhook calls.
DJSTRIPE_WEBHOOK_SECRET = env.str("DJSTRIPE_WEBHOOK_SECRET", default="")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
STRIPE_IS_CONFIGURED = bool(STRIPE_LIVE_SECRET_KEY if STRIPE_LIVE_MODE else STRIPE_TEST_SECRET_KEY)
# STRIPE_API_BASE: where the Stripe API is (tests and benchmarks point it at a local fake).
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
# BILLING_GRACE_DAYS: after a failed payment the plan holds this long, then the free plan.
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=7)
# BILLING_WEBHOOK_TOLERANCE: the oldest webhook signature accepted, in seconds.
BILLING_WEBHOOK_TOLERANCE = env.int("BILLING_WEBHOOK_TOLERANCE", default=300)
# BILLING_ENTITLEMENTS_CACHE_SECONDS: how long an account's entitlements are cached
# (the events that change them clear it at once).
BILLING_ENTITLEMENTS_CACHE_SECONDS = env.int("BILLING_ENTITLEMENTS_CACHE_SECONDS", default=300)
# BILLING_RETURN_URL: where Checkout and the Customer Portal send the account back to.
BILLING_RETURN_URL = env.str("BILLING_RETURN_URL", default="")
# BILLING_CURRENCY: the currency of creator tiers, watch-time revenue and payouts.
BILLING_CURRENCY = env.str("BILLING_CURRENCY", default="eur").lower()
# BILLING_PLATFORM_FEE_PERCENT: the platform's share of a fan's subscription to a
# creator, taken by Stripe as the application fee.
BILLING_PLATFORM_FEE_PERCENT = env.float("BILLING_PLATFORM_FEE_PERCENT", default=10.0)
# BILLING_WATCH_CPM: watch-time revenue per 1,000 minutes watched, in minor units.
BILLING_WATCH_CPM = env.int("BILLING_WATCH_CPM", default=400)
# BILLING_WATCH_REVENUE_SHARE: the creator's share of that revenue (0 to 1).
BILLING_WATCH_REVENUE_SHARE = env.float("BILLING_WATCH_REVENUE_SHARE", default=0.55)
# BILLING_WATCH_CAP_SECONDS: the most one viewer's watching of one creator counts per day.
BILLING_WATCH_CAP_SECONDS = env.int("BILLING_WATCH_CAP_SECONDS", default=4 * 3600)
# BILLING_PAYOUT_MINIMUM: a balance below this waits for a later month (minor units).
BILLING_PAYOUT_MINIMUM = env.int("BILLING_PAYOUT_MINIMUM", default=1000)
# BILLING_MIRROR_DJSTRIPE: copy each processed Stripe event and its objects into
# dj-stripe's tables (finance's dj-stripe pages), by a task of its own.
BILLING_MIRROR_DJSTRIPE = env.bool("BILLING_MIRROR_DJSTRIPE", default=True)
