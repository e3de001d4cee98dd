"""The back-office roles' grants on protection's models (see :mod:`core.roles`)."""

from core.roles import MODERATOR, OPERATOR

ROLE_GRANTS: dict[str, frozenset[str]] = {
    # Moderators keep the link blocklist and decide lookalike name flags (resolve or
    # dismiss: "change"); flags are opened by the system only, so no add or delete.
    MODERATOR: frozenset(
        {
            "protection.view_blockeddomain",
            "protection.add_blockeddomain",
            "protection.change_blockeddomain",
            "protection.delete_blockeddomain",
            "protection.view_lookalikeflag",
            "protection.change_lookalikeflag",
        }
    ),
    # Operators import lists from the command line and see what the blocklist holds.
    OPERATOR: frozenset({"protection.view_blockeddomain"}),
}
