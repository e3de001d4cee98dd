"""The back-office roles' grants on the feed's models (see :mod:`core.roles`)."""

from core.roles import MODERATOR

ROLE_GRANTS: dict[str, frozenset[str]] = {
    # The feed's screens are read-only: statuses (with their edits and mentions
    # inline), tags, notifications; a harmful link preview may be deleted.
    MODERATOR: frozenset(
        {
            "feed.view_status",
            "feed.view_statusedit",
            "feed.view_mention",
            "feed.view_tag",
            "feed.view_notification",
            "feed.view_previewcard",
            "feed.delete_previewcard",
        }
    ),
}
