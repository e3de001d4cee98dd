"""The back-office roles' grants on moderation's models (see :mod:`core.roles`)."""

from core.roles import MODERATOR

ROLE_GRANTS: dict[str, frozenset[str]] = {
    # The review queue (view and act on cases; "change" covers claiming), reports,
    # strikes and server rules to read, the audit trail read-only (only services
    # write it), the automated side's evidence to read, and the known-media hash
    # list and policies moderators maintain.
    MODERATOR: frozenset(
        {
            "moderation.view_case",
            "moderation.change_case",
            "moderation.act_on_case",
            "moderation.view_report",
            "moderation.view_strike",
            "moderation.view_rule",
            "moderation.view_assessment",
            "moderation.view_policy",
            "moderation.change_policy",
            "moderation.add_knownmediahash",
            "moderation.change_knownmediahash",
            "moderation.delete_knownmediahash",
            "moderation.view_knownmediahash",
        }
    ),
}
