"""Cache and channel layer: in process by default, Redis through REDIS_URL."""

from .environment import env

# REDIS_URL: e.g. redis://127.0.0.1:6379/0. Backs the cache, rate limits, feeds and
# the channel layer. Unset: local memory and the in-memory channel layer (one process).
REDIS_URL = env.str("REDIS_URL", default="")
# REDIS_CONNECT_TIMEOUT: seconds the cache waits to connect to Redis, and
# REDIS_TIMEOUT: seconds it waits for an answer, before the request answers 503
# (redis-py waits 5 s for each by default; a cache that slow is down).
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=1.0)


def redis_cache(url: str) -> dict:
    """The cache on Redis at ``url``: an outage fails fast instead of holding the request."""
    return {
        "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
        "LOCATION": url,
        # django-redis's options (the django-prometheus backend builds on django-redis).
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_TIMEOUT,
            # A pooled connection Redis dropped (a restart) is noticed before it is used.
            "CONNECTION_POOL_KWARGS": {"health_check_interval": 10},
        },
    }


# CHANNEL_LAYER_SOCKET_TIMEOUT: seconds the channel layer waits for Redis to answer. It
# must outlast channels-redis's blocking receive (BZPOPMIN for 5 s): at redis-py's own
# default (5 s since redis-py 8) an idle socket's receive times out and the consumer dies.
CHANNEL_LAYER_SOCKET_TIMEOUT = env.float("CHANNEL_LAYER_SOCKET_TIMEOUT", default=15.0)

if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                        "socket_timeout": CHANNEL_LAYER_SOCKET_TIMEOUT,
                        "health_check_interval": 10,
                    }
                ]
            },
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
