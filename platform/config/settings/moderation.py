"""Settings of apps.moderation (every variable is documented in the README)."""

from .environment import BASE_DIR, env

# --- The automated pipeline (apps.moderation assessors and policies) ---
# MODERATION_TEXT_MODEL: the learned text model's file, written by `manage.py
# moderation_train` (empty: the rule assessors decide alone).
MODERATION_TEXT_MODEL = env.str(
    "MODERATION_TEXT_MODEL",
    default=str(BASE_DIR / "apps" / "moderation" / "data" / "text-model.npz"),
)
# MODERATION_ACT_MIN_CONFIDENCE: below this confidence an automatic hide or removal becomes a
# queue for a person (the text model is unsure: little margin, or text unlike its corpus).
MODERATION_ACT_MIN_CONFIDENCE = env.float("MODERATION_ACT_MIN_CONFIDENCE", default=0.5)
# MODERATION_LINK_REPUTATION_DAYS: how long a domain linked by posts hidden or removed for scam
# or spam keeps asking for a person's look at borderline posts that link it.
MODERATION_LINK_REPUTATION_DAYS = env.int("MODERATION_LINK_REPUTATION_DAYS", default=30)
# MODERATION_REPEAT_WINDOW_SECONDS: how long a text's fingerprint is remembered to
# count the same text posted by several accounts (spam).
MODERATION_REPEAT_WINDOW_SECONDS = env.int("MODERATION_REPEAT_WINDOW_SECONDS", default=3600)
# MODERATION_NEW_ACCOUNT_HOURS: accounts younger than this are "new" for burst and scam signals.
MODERATION_NEW_ACCOUNT_HOURS = env.int("MODERATION_NEW_ACCOUNT_HOURS", default=48)
# MODERATION_BURST_WINDOW_SECONDS and MODERATION_BURST_POSTS: a new account posting at
# least this many times within the window is a spam signal.
MODERATION_BURST_WINDOW_SECONDS = env.int("MODERATION_BURST_WINDOW_SECONDS", default=600)
MODERATION_BURST_POSTS = env.int("MODERATION_BURST_POSTS", default=5)
# MODERATION_BATCH_SIZE: with Redis, content events wait in a list that one worker task
# assesses up to this many at a time (1: one task per event, no batching).
MODERATION_BATCH_SIZE = env.int("MODERATION_BATCH_SIZE", default=100)

# --- The review queue, reports and strikes (apps.moderation cases) ---
# MODERATION_SLA_HOURS: hours within which a case should be decided, by priority band.
MODERATION_SLA_HOURS = {
    "high": env.float("MODERATION_SLA_HOURS_HIGH", default=4.0),
    "medium": env.float("MODERATION_SLA_HOURS_MEDIUM", default=24.0),
    "low": env.float("MODERATION_SLA_HOURS_LOW", default=72.0),
}
# MODERATION_CLAIM_MINUTES: how long a moderator's claim on a case locks it for others.
MODERATION_CLAIM_MINUTES = env.int("MODERATION_CLAIM_MINUTES", default=15)
# MODERATION_REPORT_RATE: reports one account may file per window ("count/period").
MODERATION_REPORT_RATE = env.str("MODERATION_REPORT_RATE", default="10/h")
# MODERATION_STRIKE_EXPIRY_DAYS: a strike stops counting after this many days.
MODERATION_STRIKE_EXPIRY_DAYS = env.int("MODERATION_STRIKE_EXPIRY_DAYS", default=90)
# MODERATION_STRIKE_ON_LIVE_KILL: a stream ended by staff's kill switch gives its owner a
# strike (a warning with the kill's reason), which counts towards the strike policy.
MODERATION_STRIKE_ON_LIVE_KILL = env.bool("MODERATION_STRIKE_ON_LIVE_KILL", default=True)
# MODERATION_STRIKE_POLICY: "count:days:restriction" rules, strictest first; e.g. three
# active strikes within 90 days limit the account, five suspend it.
MODERATION_STRIKE_POLICY = env.list(
    "MODERATION_STRIKE_POLICY", default=["5:90:suspend", "3:90:limit"]
)
