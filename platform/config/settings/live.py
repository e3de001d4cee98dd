"""Live streaming: nginx-rtmp's ingest callbacks and where streams are pushed and played."""

import re

from django.core.exceptions import ImproperlyConfigured

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
