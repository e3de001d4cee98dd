"""The environment a bench that runs Agora in its own process sets before Django loads.

Production settings (``DEBUG=false``), a throwaway secret, the test client's host, no
HTTPS redirect, warnings only, and no rate limits (a bench sends hundreds of requests as
one account); ``REDIS_URL`` is the broker too, so an enqueue is real. Each value the caller
already set is kept, except ``DEBUG``. A bench run as a script puts the repository and
``platform/`` on ``sys.path`` first, then calls :func:`production_environment`.
"""

from __future__ import annotations

import os
import random


def production_environment() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", f"bench-{random.getrandbits(128):032x}")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("AGORA_THROTTLE_ENABLED", "false")
    if "REDIS_URL" in os.environ:
        os.environ.setdefault("CELERY_BROKER_URL", os.environ["REDIS_URL"])
