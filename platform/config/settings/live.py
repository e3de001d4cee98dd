"""Live streaming: nginx-rtmp's ingest callbacks and where streams are pushed and played."""

from .base import AGORA_DOMAIN, AGORA_HTTPS
from .environment import env

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

# Viewers and watch time (apps.live.services.viewers and .watch).
# LIVE_VIEWER_TTL_SECONDS: a viewer counts as watching for this long after its last
# heartbeat (players send one every 15 s) or chat presence.
LIVE_VIEWER_TTL_SECONDS = env.int("LIVE_VIEWER_TTL_SECONDS", default=45)
# LIVE_WATCH_MAX_INTERVAL_SECONDS: the most one heartbeat of a signed-in viewer adds to
# its watch time: a longer silence was a pause, counted only up to this.
LIVE_WATCH_MAX_INTERVAL_SECONDS = env.int("LIVE_WATCH_MAX_INTERVAL_SECONDS", default=30)
