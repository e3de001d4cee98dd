"""Protection's link and lookalike safety: which domains and accounts others may not pose as."""

from .environment import env

# PROTECTION_PROTECTED_DOMAINS: domains (besides the instance's own, AGORA_DOMAIN)
# whose lookalikes in links are refused: an internationalised or mixed-script domain
# whose Unicode TR39 confusable skeleton matches one of these, or a subdomain of one
# ("аpple.com" with a Cyrillic "а"). Comma-separated; the default names the brands
# phishing imitates most (payment, mail, app stores, banks' usual targets).
PROTECTION_PROTECTED_DOMAINS = env.list(
    "PROTECTION_PROTECTED_DOMAINS",
    default=[
        "paypal.com",
        "apple.com",
        "icloud.com",
        "google.com",
        "gmail.com",
        "microsoft.com",
        "live.com",
        "outlook.com",
        "office.com",
        "amazon.com",
        "facebook.com",
        "instagram.com",
        "whatsapp.com",
        "netflix.com",
        "stripe.com",
        "github.com",
        "linkedin.com",
        "twitter.com",
        "x.com",
        "coinbase.com",
        "binance.com",
        "dropbox.com",
        "yahoo.com",
        "ebay.com",
        "steamcommunity.com",
        "joinmastodon.org",
    ],
)
# PROTECTION_LOOKALIKE_TOP_FOLLOWED: besides staff, the N most-followed accounts are
# protected from lookalike usernames (refused at sign-up) and display names (a
# warning, and a flag for moderators). Accounts have no "verified" mark to lean on.
PROTECTION_LOOKALIKE_TOP_FOLLOWED = env.int("PROTECTION_LOOKALIKE_TOP_FOLLOWED", default=50)
# PROTECTION_LOOKALIKE_MIN_FOLLOWERS: ...and only those with at least this many followers
# (on a small instance the "most followed" with two followers are nobody to imitate).
PROTECTION_LOOKALIKE_MIN_FOLLOWERS = env.int("PROTECTION_LOOKALIKE_MIN_FOLLOWERS", default=10)
# PROTECTION_LOOKALIKE_MIN_LENGTH: names whose skeleton is shorter than this are not
# compared (two-letter names collide by chance, not by imitation).
PROTECTION_LOOKALIKE_MIN_LENGTH = env.int("PROTECTION_LOOKALIKE_MIN_LENGTH", default=4)
