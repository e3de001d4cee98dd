"""Protection: reputation (how far the platform trusts an account) and what it tightens,
the pile-on detector and the shield."""

from django.core.exceptions import ImproperlyConfigured

from .environment import env

# PROTECTION_NEW_ACCOUNT_DAYS: an account younger than this is at the level ``new``
# whatever its score. Seven days: throwaway accounts for spam waves and pile-ons do
# their work within hours or days of signing up, and a week spans a weekend, so a
# real newcomer meets the tighter limits for a few sessions only (Discourse's trust
# level 0 and Discord's server verification use the same order of magnitude).
PROTECTION_NEW_ACCOUNT_DAYS = env.int("PROTECTION_NEW_ACCOUNT_DAYS", default=7)
# PROTECTION_LOW_SCORE: an account (past its new days) scoring under this is ``low``.
PROTECTION_LOW_SCORE = env.float("PROTECTION_LOW_SCORE", default=0.3)
# PROTECTION_ESTABLISHED_SCORE / PROTECTION_ESTABLISHED_DAYS: an account scoring at
# least this, and at least this many days old, is ``established``.
PROTECTION_ESTABLISHED_SCORE = env.float("PROTECTION_ESTABLISHED_SCORE", default=0.7)
PROTECTION_ESTABLISHED_DAYS = env.int("PROTECTION_ESTABLISHED_DAYS", default=30)
# PROTECTION_STRIKE_DAYS: how long a strike weighs on its account's score.
PROTECTION_STRIKE_DAYS = env.int("PROTECTION_STRIKE_DAYS", default=90)

# PROTECTION_TRUST_RATES: the tighter budgets of ``new`` and ``low`` accounts, per hour
# window, as "count/period" (core.throttling's format): statuses posted (scheduled
# ones too), accounts followed, and mentions sent. Answered with 429 and Mastodon's
# X-RateLimit-* headers; other levels have only their plan's limits.
PROTECTION_TRUST_RATES = {
    "new": {
        "statuses": env.str("PROTECTION_NEW_STATUSES_RATE", default="30/h"),
        "follows": env.str("PROTECTION_NEW_FOLLOWS_RATE", default="40/h"),
        "mentions": env.str("PROTECTION_NEW_MENTIONS_RATE", default="40/h"),
    },
    "low": {
        "statuses": env.str("PROTECTION_LOW_STATUSES_RATE", default="10/h"),
        "follows": env.str("PROTECTION_LOW_FOLLOWS_RATE", default="20/h"),
        "mentions": env.str("PROTECTION_LOW_MENTIONS_RATE", default="20/h"),
    },
}
# PROTECTION_MAX_MENTIONS: the most accounts one status of a ``new`` or ``low``
# account may mention; more is refused with 422 (waiting would not help).
PROTECTION_MAX_MENTIONS = {
    "new": env.int("PROTECTION_NEW_MAX_MENTIONS", default=5),
    "low": env.int("PROTECTION_LOW_MAX_MENTIONS", default=3),
}

if not 0 <= PROTECTION_LOW_SCORE <= PROTECTION_ESTABLISHED_SCORE <= 1:
    raise ImproperlyConfigured(
        "PROTECTION_LOW_SCORE and PROTECTION_ESTABLISHED_SCORE must satisfy 0 <= low <= established <= 1"
    )

# PROTECTION_SHIELD_DAYS: how long a shield raised by a pile-on stays up; the account
# may raise its own for PROTECTION_SHIELD_MIN_DAYS..PROTECTION_SHIELD_MAX_DAYS.
PROTECTION_SHIELD_DAYS = env.int("PROTECTION_SHIELD_DAYS", default=7)
PROTECTION_SHIELD_MIN_DAYS = env.int("PROTECTION_SHIELD_MIN_DAYS", default=1)
PROTECTION_SHIELD_MAX_DAYS = env.int("PROTECTION_SHIELD_MAX_DAYS", default=30)

# The pile-on detector (apps/protection/detector.py) watches each account's inbound
# replies, mentions and quotes from strangers over a sliding window:
# PROTECTION_PILE_ON_WINDOW_SECONDS long. A reply is hostile when moderation scored it
# offensive at PROTECTION_HOSTILE_SCORE or more. A pile-on is at least
# PROTECTION_PILE_ON_MIN_SENDERS distinct hostile strangers, weighing
# 1 + PROTECTION_PILE_ON_WEAK_WEIGHT each new or low-trust one, reaching
# PROTECTION_PILE_ON_THRESHOLD and PROTECTION_PILE_ON_SURGE times the account's own
# baseline (its hostile strangers per window over the last 14 days), and making at
# least PROTECTION_PILE_ON_HOSTILE_SHARE of the strangers in the window (so a viral
# post's flood of friendly replies does not raise it). Tuned on
# tests/protection/data/pile_on_scenarios_dev.jsonl and judged on the blind set beside it
# (tests/protection/test_pile_on_blind.py): moderation's text model scores about a
# quarter of ordinary friendly replies at 0.5 or more, so only a confident score (0.8,
# near moderation's own hide threshold) counts as hostile.
PROTECTION_PILE_ON_WINDOW_SECONDS = env.int("PROTECTION_PILE_ON_WINDOW_SECONDS", default=1800)
PROTECTION_HOSTILE_SCORE = env.float("PROTECTION_HOSTILE_SCORE", default=0.8)
PROTECTION_PILE_ON_MIN_SENDERS = env.int("PROTECTION_PILE_ON_MIN_SENDERS", default=6)
PROTECTION_PILE_ON_THRESHOLD = env.float("PROTECTION_PILE_ON_THRESHOLD", default=6.0)
PROTECTION_PILE_ON_WEAK_WEIGHT = env.float("PROTECTION_PILE_ON_WEAK_WEIGHT", default=0.5)
PROTECTION_PILE_ON_SURGE = env.float("PROTECTION_PILE_ON_SURGE", default=4.0)
PROTECTION_PILE_ON_HOSTILE_SHARE = env.float("PROTECTION_PILE_ON_HOSTILE_SHARE", default=0.25)
# PROTECTION_TALKED_WITH_DAYS: an account the shielded one replied to or mentioned
# within this many days is not a stranger (it is spared the shield's mutes).
PROTECTION_TALKED_WITH_DAYS = env.int("PROTECTION_TALKED_WITH_DAYS", default=30)
