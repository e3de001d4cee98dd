"""Live's writes, by area: re-exported here."""

from apps.live.services.allowances import (
    live_allow,
    live_refusal,
    live_restrict,
    live_revoke,
    live_unrestrict,
    may_go_live,
)
from apps.live.services.ingest import (
    callback_authorize,
    ingest_publish,
    ingest_publish_done,
    ingest_update,
)
from apps.live.services.playback import (
    PUBLIC_VISIBILITIES,
    playback_hls_url,
    stream_publicly_playable,
)
from apps.live.services.replays import recording_done, replay_create
from apps.live.services.streams import (
    stream_create,
    stream_delete,
    stream_end,
    stream_kill,
    stream_rotate_key,
)
from apps.live.services.viewers import viewer_seen

__all__ = [
    "PUBLIC_VISIBILITIES",
    "callback_authorize",
    "ingest_publish",
    "ingest_publish_done",
    "ingest_update",
    "live_allow",
    "live_refusal",
    "live_restrict",
    "live_revoke",
    "live_unrestrict",
    "may_go_live",
    "recording_done",
    "replay_create",
    "playback_hls_url",
    "stream_create",
    "stream_delete",
    "stream_end",
    "stream_kill",
    "stream_publicly_playable",
    "stream_rotate_key",
    "viewer_seen",
]
