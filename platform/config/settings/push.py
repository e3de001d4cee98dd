"""Settings of Web Push: apps.feed's push subscriptions and their delivery (see the README)."""

from .environment import env

# VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY: the server's VAPID key pair (RFC 8292), the
# raw P-256 private number and uncompressed public point, base64url, as
# `manage.py push_vapid_keys` prints them. Both blank: push is not configured (apps
# get an empty vapid_key and subscribing answers 422); changing them orphans every
# subscription, since apps subscribed against the old public key.
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_PUBLIC_KEY = env.str("VAPID_PUBLIC_KEY", default="")
# VAPID_CONTACT: the "sub" claim push services may use to reach the operator
# (mailto: or https: URL); blank: mailto: AGORA_CONTACT_EMAIL.
VAPID_CONTACT = env.str("VAPID_CONTACT", default="")
# PUSH_TIMEOUT_SECONDS: how long one delivery may take to connect, and then to answer.
PUSH_TIMEOUT_SECONDS = env.float("PUSH_TIMEOUT_SECONDS", default=10.0)
# PUSH_MAX_ATTEMPTS: deliveries a push service refuses with 429 or 5xx (or that do not
# reach it) are tried this many times in all, waiting longer each time.
PUSH_MAX_ATTEMPTS = env.int("PUSH_MAX_ATTEMPTS", default=5)
# Which addresses deliveries may reach, and which certificate authorities they trust:
# AGORA_OUTBOUND_ALLOW_PRIVATE and AGORA_OUTBOUND_CA_BUNDLE (config.settings.outbound).
