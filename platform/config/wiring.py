"""Which installed apps plug in URLs and WebSocket routes: found, never listed.

An app is wired only when it is in ``INSTALLED_APPS``: removing it takes away its
URLs and routes with it, and a new app plugs in by having the module, with no edit
here. Apps are visited from the highest layer down (``INSTALLED_APPS`` lists Agora's
apps from the lowest up, as the layer contract in ``pyproject.toml`` orders them): a
fixed order, so the URLconf is the same on every start. Ids in paths go through the
``<id:...>`` converter (:mod:`core.converters`), so no app's id route can capture
another app's literal path (feed's ``api/v1/accounts/relationships``) whatever the order.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from django.apps import apps

# Agora's pluggable apps are the packages under apps/.
APPS_PACKAGE = "apps"


def agora_apps() -> list[str]:
    """The installed Agora apps' names (``"apps.feed"``), from the highest layer down."""
    names = [config.name for config in apps.get_app_configs()]
    return [name for name in reversed(names) if name.startswith(f"{APPS_PACKAGE}.")]


def _has_module(dotted: str) -> bool:
    try:
        return find_spec(dotted) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def app_modules(*candidates: str) -> list[ModuleType]:
    """Each installed app's first module among ``candidates`` (e.g. ``"urls", "api.urls"``).

    Apps with none of them are skipped.
    """
    found = []
    for app in agora_apps():
        for candidate in candidates:
            dotted = f"{app}.{candidate}"
            if _has_module(dotted):
                found.append(import_module(dotted))
                break
    return found
