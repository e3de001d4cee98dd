"""Run in a subprocess by tests/core/test_app_removal.py, with ``AGORA_DISABLED_APPS`` set.

Checks, in the settings without the removed apps, what a removal must not break:
the system checks, the migration graph, importing every module of the apps left,
the URLconf and WebSocket routes, the role grants and the Celery tasks, and that
nothing left imported a removed app. Prints the test-database fingerprint of these
settings (``tests.db_template``) on its last line.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    import django

    django.setup()
    from django.apps import apps
    from django.core.management import call_command
    from django.db.migrations.loader import MigrationLoader
    from django.urls import URLResolver, get_resolver

    removed = [name for name in os.environ["AGORA_DISABLED_APPS"].split(",") if name]
    labels = {name.split(".")[-1] for name in removed}
    assert not any(apps.is_installed(name) for name in removed), removed

    call_command("check", fail_level="ERROR")
    MigrationLoader(None, ignore_no_migrations=True)  # raises on a dependency on a removed app

    left = [config.name for config in apps.get_app_configs() if config.name.startswith("apps.")]
    for name in left:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            importlib.import_module(module.name)

    from config.routing import websocket_urlpatterns
    from config.urls import urlpatterns  # noqa: F401
    from config.wiring import agora_apps

    assert set(agora_apps()) == set(left)
    included = [
        pattern.urlconf_module.__name__
        for pattern in get_resolver().url_patterns
        if isinstance(pattern, URLResolver) and hasattr(pattern.urlconf_module, "__name__")
    ]
    expected = set()
    for name in left:
        for candidate in (f"{name}.urls", f"{name}.api.urls"):
            if importlib.util.find_spec(candidate):
                expected.add(candidate)
                break
    assert expected <= set(included), f"URLconfs not included: {expected - set(included)}"
    assert not [module for module in included if module.startswith(tuple(removed))], included
    for route in websocket_urlpatterns:
        consumer = getattr(route.callback, "consumer_class", route.callback)
        assert not consumer.__module__.startswith(tuple(removed)), consumer

    from core.roles import ROLES

    granted = {name.split(".")[0] for names in ROLES.values() for name in names}
    assert not granted & labels, f"grants of removed apps: {granted & labels}"

    from config.celery import app as celery_app

    tasks = {name.split(".")[0] for name in celery_app.tasks}
    assert not tasks & labels, f"tasks of removed apps: {tasks & labels}"

    leaked = sorted(
        module
        for module in sys.modules
        if module.startswith(tuple(f"{name}." for name in removed)) or module in removed
    )
    assert not leaked, f"imported although removed: {leaked}"

    from tests.db_template import migrations_fingerprint

    sys.stdout.write(f"{migrations_fingerprint()}\n")


if __name__ == "__main__":
    main()
