"""Protection: the pile-on detector and the shield."""

from .environment import env

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
# post's flood of friendly replies does not raise it).
PROTECTION_PILE_ON_WINDOW_SECONDS = env.int("PROTECTION_PILE_ON_WINDOW_SECONDS", default=600)
PROTECTION_HOSTILE_SCORE = env.float("PROTECTION_HOSTILE_SCORE", default=0.5)
PROTECTION_PILE_ON_MIN_SENDERS = env.int("PROTECTION_PILE_ON_MIN_SENDERS", default=6)
PROTECTION_PILE_ON_THRESHOLD = env.float("PROTECTION_PILE_ON_THRESHOLD", default=10.0)
PROTECTION_PILE_ON_WEAK_WEIGHT = env.float("PROTECTION_PILE_ON_WEAK_WEIGHT", default=0.5)
PROTECTION_PILE_ON_SURGE = env.float("PROTECTION_PILE_ON_SURGE", default=4.0)
PROTECTION_PILE_ON_HOSTILE_SHARE = env.float("PROTECTION_PILE_ON_HOSTILE_SHARE", default=0.3)
# PROTECTION_TALKED_WITH_DAYS: an account the shielded one replied to or mentioned
# within this many days is not a stranger (it is spared the shield's mutes).
PROTECTION_TALKED_WITH_DAYS = env.int("PROTECTION_TALKED_WITH_DAYS", default=30)
