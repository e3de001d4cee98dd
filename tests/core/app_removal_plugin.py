"""A pytest plugin for the app-removal runs (tests/core/test_app_removal.py), loaded with ``-p``.

With ``AGORA_DISABLED_APPS`` naming removed apps, a test module that imports a
removed app's code or its test helpers (``apps.moderation...``, ``tests.moderation...``)
tests the lower app *together with* the removed one: it goes with it, as the app's own
tests do. Every other test of the lower apps must pass without it.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path


def removed_apps() -> list[str]:
    """``["apps.moderation"]`` -> the removed apps' dotted names."""
    return [name for name in os.environ.get("AGORA_DISABLED_APPS", "").split(",") if name]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def imports_a_removed_app(path: Path, removed: list[str]) -> bool:
    prefixes = [name for app in removed for name in (app, f"tests.{app.split('.')[-1]}")]
    return any(
        module == prefix or module.startswith(f"{prefix}.")
        for module in _imported_modules(path)
        for prefix in prefixes
    )


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    removed = removed_apps()
    if (
        not removed
        or collection_path.suffix != ".py"
        or not collection_path.name.startswith("test_")
    ):
        return None
    return True if imports_a_removed_app(collection_path, removed) else None


def pytest_collection_modifyitems(session, config, items) -> None:
    """``AGORA_REMOVAL_TESTS_PER_MODULE=N``: keep the first N tests of each module.

    Every test module of the lower apps is still imported (with its fixtures and
    helpers), which is where a reference to a removed app shows first, at a fraction
    of the full suites' time. Unset or 0: every test runs.
    """
    per_module = int(os.environ.get("AGORA_REMOVAL_TESTS_PER_MODULE") or 0)
    if not per_module:
        return
    kept, deselected, seen = [], [], {}
    for item in items:
        module = item.nodeid.split("::")[0]
        seen[module] = seen.get(module, 0) + 1
        (kept if seen[module] <= per_module else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
