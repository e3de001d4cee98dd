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
