"""Live streaming: nginx-rtmp's ingest callbacks and where streams are pushed and played."""

import re

from django.core.exceptions import ImproperlyConfigured

from .base import AGORA_DOMAIN, AGORA_HTTPS
from .environment import VAR_DIR, env

# LIVE_CALLBACK_SECRET: the shared secret nginx-rtmp sends (``?secret=``) on its
# on_publish, on_publish_done and on_update callbacks. Empty: every callback is
# refused with 503 and nobody can go live (/readyz reports ``live_ingest`` degraded).
LIVE_CALLBACK_SECRET = env.str("LIVE_CALLBACK_SECRET", default="")
# LIVE_RTMP_URL: where encoders (OBS, ffmpeg) push, shown with the stream key.
LIVE_RTMP_URL = env.str("LIVE_RTMP_URL", default="rtmp://localhost/live")
# LIVE_HLS_BASE_URL: where nginx serves the HLS playlists, by stream's internal name
# (``<base>/<internal name>/index.m3u8``); this instance's ``/live/hls`` by default.
LIVE_HLS_BASE_URL = env.str(
    "LIVE_HLS_BASE_URL",
    default=f"{'https' if AGORA_HTTPS else 'http'}://{AGORA_DOMAIN}/live/hls",
).rstrip("/")
# LIVE_RECORDINGS_DIR: where nginx-rtmp writes each stream's recording
# (``<internal name>*.flv``; its ``on_record_done`` callback names the file). The
# worker must read it: on one box the same directory, across machines a shared volume.
LIVE_RECORDINGS_DIR = env.path("LIVE_RECORDINGS_DIR", default=str(VAR_DIR / "live" / "recordings"))
# LIVE_REPLAY_MAX_SECONDS / LIVE_REPLAY_MAX_BYTES: the longest and largest recording
# that becomes a replay (a replay is not bound by the plan's upload limits).
LIVE_REPLAY_MAX_SECONDS = env.int("LIVE_REPLAY_MAX_SECONDS", default=12 * 3600)
LIVE_REPLAY_MAX_BYTES = env.int("LIVE_REPLAY_MAX_BYTES", default=20 * 1024**3)

# LIVE_CHAT_DEFAULTS: a stream's chat rules where its own ``chat_settings`` say nothing
# (the streamer and its moderators change them live): longest message, the per-account
# rate limit (``rate_limit_messages`` in ``rate_limit_seconds``), slow mode (seconds between
# one account's messages, 0 off), followers-only (following for at least N minutes, None
# off), subscribers-only, a minimum account age (account at least N days old, None
# off), emoji-only, and established accounts only (accounts the platform trusts as
# ``established``: core.reputation, filled by protection; without protection nobody is,
# and only the streamer and its moderators may chat).
LIVE_CHAT_DEFAULTS = {
    "max_length": env.int("LIVE_CHAT_MAX_LENGTH", default=500),
    "rate_limit_messages": env.int("LIVE_CHAT_RATE_LIMIT_MESSAGES", default=5),
    "rate_limit_seconds": env.int("LIVE_CHAT_RATE_LIMIT_SECONDS", default=10),
    "slow_mode_seconds": 0,
    "followers_only_minutes": None,
    "subscribers_only": False,
    "min_account_age_days": None,
    "emoji_only": False,
    "established_only": False,
}
# LIVE_CHAT_HISTORY: how many of the latest visible messages a socket gets on joining.
LIVE_CHAT_HISTORY = 50
# LIVE_PLAYBACK_SECRET: the secret Agora signs followers and subscribers streams'
# playback URLs with and nginx checks them with (secure_link_md5; at least 16 of
# A-Z a-z 0-9 . _ ~ -). Empty: those streams get no playback URL (public and unlisted
# ones play as before).
LIVE_PLAYBACK_SECRET = env.str("LIVE_PLAYBACK_SECRET", default="")
# LIVE_PLAYBACK_TTL_SECONDS: how long a signed playback URL opens its stream's
# playlists and segments; players fetch the stream again for a fresh one.
LIVE_PLAYBACK_TTL_SECONDS = env.int("LIVE_PLAYBACK_TTL_SECONDS", default=1800)
if LIVE_PLAYBACK_SECRET and not re.fullmatch(r"[A-Za-z0-9._~-]{16,}", LIVE_PLAYBACK_SECRET):
    raise ImproperlyConfigured(
        "LIVE_PLAYBACK_SECRET must be at least 16 of A-Z a-z 0-9 . _ ~ - "
        "(nginx's config carries it in a string)"
    )
if LIVE_PLAYBACK_TTL_SECONDS < 30:
    raise ImproperlyConfigured("LIVE_PLAYBACK_TTL_SECONDS must be at least 30")

# Viewers and watch time (apps.live.services.viewers and .watch).
# LIVE_VIEWER_TTL_SECONDS: a viewer counts as watching for this long after its last
# heartbeat (players send one every 15 s) or chat presence.
LIVE_VIEWER_TTL_SECONDS = env.int("LIVE_VIEWER_TTL_SECONDS", default=45)
# LIVE_WATCH_MAX_INTERVAL_SECONDS: the most one heartbeat of a signed-in viewer adds to
# its watch time: a longer silence was a pause, counted only up to this.
LIVE_WATCH_MAX_INTERVAL_SECONDS = env.int("LIVE_WATCH_MAX_INTERVAL_SECONDS", default=30)
