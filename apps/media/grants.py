"""The back-office roles' grants on media's models (see :mod:`core.roles`)."""

from core.roles import MODERATOR, OPERATOR

ROLE_GRANTS: dict[str, frozenset[str]] = {
    # The library and resumable uploads, to read.
    MODERATOR: frozenset({"media.view_mediaattachment", "media.view_upload"}),
    # The same, and the library's "retry processing" action (a custom permission).
    OPERATOR: frozenset(
        {"media.view_mediaattachment", "media.retry_mediaattachment", "media.view_upload"}
    ),
}
