"""The back-office roles' grants on protection's models (see :mod:`core.roles`).

Reputation: moderators see each account's trust, its components and history, and the
ledger of strikes and reports' outcomes it was computed from; they may have scores
recomputed (audited), never set one.
"""

from core.roles import MODERATOR, OPERATOR

REPUTATION_MODERATOR = frozenset(
    {
        "protection.view_reputation",
        "protection.recompute_reputation",
        "protection.view_reputationhistory",
        "protection.view_reputationsignal",
    }
)

ROLE_GRANTS: dict[str, frozenset[str]] = {
    MODERATOR: REPUTATION_MODERATOR,
    OPERATOR: frozenset(),
}
