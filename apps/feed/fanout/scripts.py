"""The feed store's two Lua scripts, read from ``add.lua`` and ``remove.lua`` beside this module.

Every change to a feed runs as one script so that a feed, its reblog tracking and its
truncation mark change together (Redis runs a script atomically). The scripts live in
``.lua`` files so they read, and are reviewed, as Lua; each file's header says what its
KEYS and ARGV are. They are registered once per Redis URL (:func:`scripts`) and sent
by digest afterwards.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from django.conf import settings
from redis.commands.core import Script

from apps.feed.fanout.store import client_for

ADD_SCRIPT = files(__package__).joinpath("add.lua").read_text(encoding="utf-8")
REMOVE_SCRIPT = files(__package__).joinpath("remove.lua").read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def _scripts_for(url: str) -> tuple[Script, Script]:
    connection = client_for(url)
    return connection.register_script(ADD_SCRIPT), connection.register_script(REMOVE_SCRIPT)


def scripts() -> tuple[Script, Script]:
    """The add and remove scripts, registered on the configured Redis."""
    return _scripts_for(settings.REDIS_URL)
