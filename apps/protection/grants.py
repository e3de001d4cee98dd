"""The back-office roles' grants on protection's models (see :mod:`core.roles`).

Moderators see shields and pile-ons (their hostile strangers) and may lower a shield
early (audited).
"""

from core.roles import MODERATOR, OPERATOR

ROLE_GRANTS: dict[str, frozenset[str]] = {
    MODERATOR: frozenset(
        {
            "protection.view_shield",
            "protection.view_shieldsender",
            "protection.lower_shield",
        }
    ),
    OPERATOR: frozenset({"protection.view_shield"}),
}
