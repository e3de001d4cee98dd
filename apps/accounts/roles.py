"""Agora's back-office roles as Mastodon's Role entity (``CredentialAccount.role``).

Mastodon gives each user one role with a permission bitmask (``UserRole::FLAGS``);
Agora gives staff one Django group per role (:mod:`core.roles`) and superusers
everything. Each Agora role maps to the Mastodon permissions its grants really
cover; a user with several gets the highest role's name and the union of the
permissions. Anyone else gets Mastodon's ``everyone`` role (id ``-99``), with no
permission, since Agora has no invitations. No Agora role is ``highlighted`` (a
public badge): who moderates stays private, so ``Account.roles`` is empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import roles

# Mastodon's UserRole::FLAGS.
ADMINISTRATOR = 1 << 0
DEVOPS = 1 << 1
VIEW_AUDIT_LOG = 1 << 2
VIEW_DASHBOARD = 1 << 3
MANAGE_REPORTS = 1 << 4
MANAGE_SETTINGS = 1 << 6
MANAGE_APPEALS = 1 << 9
MANAGE_USERS = 1 << 10


@dataclass(frozen=True)
class MastodonRole:
    id: str
    name: str
    permissions: int
    highlighted: bool = False
    color: str = ""

    def as_entity(self) -> dict[str, object]:
        """Mastodon's Role entity as the CredentialAccount carries it (ids and bits as strings)."""
        return {
            "id": self.id,
            "name": self.name,
            "permissions": str(self.permissions),
            "color": self.color,
            "highlighted": self.highlighted,
        }


EVERYONE = MastodonRole(id="-99", name="", permissions=0)
OWNER = MastodonRole(id="1", name="Owner", permissions=ADMINISTRATOR)
# Highest first. Every staff role has the back-office index (dashboard). Moderators
# read the audit trail, work reports and cases and act on accounts; reviewers handle
# appeals; operators run jobs, the outbox and lockouts (devops) and feature flags
# (settings); finance has no Mastodon counterpart.
BY_GROUP: dict[str, MastodonRole] = {
    roles.OPERATOR: MastodonRole(
        id="2", name="Operator", permissions=DEVOPS | VIEW_DASHBOARD | MANAGE_SETTINGS
    ),
    roles.MODERATOR: MastodonRole(
        id="3",
        name="Moderator",
        permissions=VIEW_AUDIT_LOG | VIEW_DASHBOARD | MANAGE_REPORTS | MANAGE_USERS,
    ),
    roles.REVIEWER: MastodonRole(
        id="4", name="Reviewer", permissions=VIEW_DASHBOARD | MANAGE_APPEALS
    ),
    roles.FINANCE: MastodonRole(id="5", name="Finance", permissions=VIEW_DASHBOARD),
}


def mastodon_role(*, is_superuser: bool, group_names: set[str]) -> MastodonRole:
    """The one Mastodon role of a user with these Agora roles."""
    if is_superuser:
        return OWNER
    held = [role for name, role in BY_GROUP.items() if name in group_names]
    if not held:
        return EVERYONE
    permissions = 0
    for role in held:
        permissions |= role.permissions
    top = held[0]
    return MastodonRole(id=top.id, name=top.name, permissions=permissions)
