"""Live's writes, by area: re-exported here."""

from apps.live.services.allowances import live_allow, live_revoke, may_go_live
from apps.live.services.ingest import (
    callback_authorize,
    ingest_publish,
    ingest_publish_done,
    ingest_update,
)
from apps.live.services.streams import (
    stream_create,
    stream_delete,
    stream_end,
    stream_kill,
    stream_rotate_key,
)
from apps.live.services.viewers import viewer_seen

__all__ = [
    "callback_authorize",
    "ingest_publish",
    "ingest_publish_done",
    "ingest_update",
    "live_allow",
    "live_revoke",
    "may_go_live",
    "stream_create",
    "stream_delete",
    "stream_end",
    "stream_kill",
    "stream_rotate_key",
    "viewer_seen",
]
