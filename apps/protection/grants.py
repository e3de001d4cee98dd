"""The back-office roles' grants on protection's models (see :mod:`core.roles`)."""

from core.roles import MODERATOR, OPERATOR

ROLE_GRANTS: dict[str, frozenset[str]] = {
    MODERATOR: frozenset(),
    OPERATOR: frozenset(),
}
