"""Cache and channel layer: in process by default, Redis through REDIS_URL."""

from .environment import env

# REDIS_URL: e.g. redis://127.0.0.1:6379/0. Backs the cache, rate limits, feeds and
# the channel layer. Unset: local memory and the in-memory channel layer (one process).
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache",
            "LOCATION": "agora",
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# AGORA_FEED_MAX_ENTRIES: status ids kept per home feed in the Redis feed store (used only
# with REDIS_URL); older pages are read from the database. Mastodon keeps 400.
AGORA_FEED_MAX_ENTRIES = env.int("AGORA_FEED_MAX_ENTRIES", default=400)
# AGORA_FEED_ACTIVE_DAYS: new statuses are pushed only into the feeds of accounts that read
# their home timeline within this many days; others are rebuilt from the database on return.
AGORA_FEED_ACTIVE_DAYS = env.int("AGORA_FEED_ACTIVE_DAYS", default=7)
