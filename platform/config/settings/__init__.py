"""Agora's settings.

Split by integration, not by environment: every module reads the environment
through the one ``env`` object in :mod:`config.settings.environment`, so
production differs from development only in what the environment says.
"""

from .api import *  # noqa: F403
from .base import *  # noqa: F403
from .billing import *  # noqa: F403
from .cache import *  # noqa: F403
from .celery import *  # noqa: F403
from .database import *  # noqa: F403
from .live import *  # noqa: F403
from .media import *  # noqa: F403
from .moderation import *  # noqa: F403
from .observability import *  # noqa: F403
from .outbound import *  # noqa: F403
from .protection import *  # noqa: F403
from .push import *  # noqa: F403
from .security import *  # noqa: F403
from .storage import *  # noqa: F403
