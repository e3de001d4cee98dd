"""The back-office roles' grants on accounts' models (see :mod:`core.roles`).

Moderators and reviewers read accounts to judge what they see; nobody but a
superuser edits one in the admin: standing changes go through moderation. Operators
manage the instance's custom emojis and announcements.
"""

from core.roles import MODERATOR, OPERATOR, REVIEWER

ROLE_GRANTS: dict[str, frozenset[str]] = {
    MODERATOR: frozenset({"accounts.view_user"}),
    REVIEWER: frozenset({"accounts.view_user"}),
    # Operators run the instance: its custom emojis and announcements are theirs to manage.
    OPERATOR: frozenset(
        f"accounts.{action}_{model}"
        for action in ("add", "change", "delete", "view")
        for model in ("customemoji", "announcement")
    ),
}
