"""The back-office roles' grants on accounts' models (see :mod:`core.roles`).

Moderators and reviewers read accounts to judge what they see; nobody but a
superuser edits one in the admin: standing changes go through moderation.
"""

from core.roles import MODERATOR, REVIEWER

ROLE_GRANTS: dict[str, frozenset[str]] = {
    MODERATOR: frozenset({"accounts.view_user"}),
    REVIEWER: frozenset({"accounts.view_user"}),
}
