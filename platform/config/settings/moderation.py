"""Settings of apps.moderation (every variable is documented in the README)."""

from .environment import env  # noqa: F401

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
# MODERATION_STRIKE_POLICY: "count:days:restriction" rules, strictest first; e.g. three
# active strikes within 90 days limit the account, five suspend it.
MODERATION_STRIKE_POLICY = env.list(
    "MODERATION_STRIKE_POLICY", default=["5:90:suspend", "3:90:limit"]
)
