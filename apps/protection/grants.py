"""The back-office roles' grants on protection's models (see :mod:`core.roles`).

Moderators see shields and pile-ons (their hostile strangers) and may lower a shield
early (audited); they keep the link blocklist and decide lookalike name flags (resolve
or dismiss: "change"; flags are opened by the system only, so no add or delete); they
see each account's trust, its components and history, and the ledger of strikes and
reports' outcomes it was computed from, and may have scores recomputed (audited),
never set one. Operators see shields and what the blocklist holds (they import lists
from the command line).
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
    MODERATOR: frozenset(
        {
            "protection.view_shield",
            "protection.view_shieldsender",
            "protection.lower_shield",
            "protection.view_blockeddomain",
            "protection.add_blockeddomain",
            "protection.change_blockeddomain",
            "protection.delete_blockeddomain",
            "protection.view_lookalikeflag",
            "protection.change_lookalikeflag",
        }
    )
    | REPUTATION_MODERATOR,
    OPERATOR: frozenset({"protection.view_shield", "protection.view_blockeddomain"}),
}
